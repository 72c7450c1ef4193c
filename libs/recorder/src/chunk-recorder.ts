export interface FinishedRecording {
  seq: number;
  parts: Blob[];
  mimeType: string;
  /** performance.now() when this recorder was started and stopped. */
  startedAtMs: number;
  stoppedAtMs: number;
}

export interface ChunkRecorderOptions {
  mimeType: string;
  audioBitsPerSecond: number;
  /** MediaRecorder hands over data this often; each piece is saved, so a crash loses at most this much. */
  partIntervalMs: number;
  /** A piece of the recording `seq` arrived; `parts` is everything so far (a valid file prefix). */
  onPart(seq: number, parts: readonly Blob[]): void;
  onFinished(recording: FinishedRecording): void;
  onError(error: Error): void;
}

interface Active {
  seq: number;
  recorder: MediaRecorder;
  parts: Blob[];
  startedAtMs: number;
  stoppedAtMs: number;
  finished: Promise<void>;
}

/**
 * One MediaRecorder per chunk on the same stream, so every chunk starts with its own container header and
 * decodes alone (the timeslice pieces after the first one of a recorder do not). At a boundary the next
 * recorder is started and the previous one stopped in the same task, so the audio thread switches sinks
 * between two render quanta: the measured gap is in the tests (libs/recorder/README.md).
 */
export class ChunkRecorder {
  private active: Active | undefined;
  private seq = 0;

  constructor(
    private readonly stream: MediaStream,
    private readonly options: ChunkRecorderOptions,
  ) {}

  /** Starts the next chunk and ends the current one (if any). Returns the new chunk's sequence number. */
  rotate(): number {
    const previous = this.active;
    this.active = this.begin(this.seq++);
    if (previous) this.end(previous);
    return this.active.seq;
  }

  /** Ends the current chunk; resolves once its last piece has been handed to onFinished. */
  async stop(): Promise<void> {
    const previous = this.active;
    this.active = undefined;
    if (previous) {
      this.end(previous);
      await previous.finished;
    }
  }

  private begin(seq: number): Active {
    const recorder = new MediaRecorder(this.stream, { mimeType: this.options.mimeType, audioBitsPerSecond: this.options.audioBitsPerSecond });
    const active: Active = { seq, recorder, parts: [], startedAtMs: 0, stoppedAtMs: 0, finished: Promise.resolve() };
    active.finished = new Promise<void>((resolve) => {
      recorder.addEventListener('dataavailable', (event: BlobEvent) => {
        if (event.data.size === 0) return;
        active.parts.push(event.data);
        if (recorder.state === 'recording') this.options.onPart(seq, active.parts.slice());
      });
      recorder.addEventListener('stop', () => {
        const { parts, startedAtMs, stoppedAtMs } = active;
        this.options.onFinished({ seq, parts: parts.slice(), mimeType: recorder.mimeType || this.options.mimeType, startedAtMs, stoppedAtMs });
        resolve();
      });
      recorder.addEventListener('error', (event) => {
        const error = (event as Event & { error?: unknown }).error;
        this.options.onError(error instanceof Error ? error : new Error('MediaRecorder failed'));
        resolve();
      });
    });
    active.startedAtMs = performance.now();
    recorder.start(this.options.partIntervalMs);
    return active;
  }

  private end(active: Active): void {
    active.stoppedAtMs = performance.now();
    if (active.recorder.state !== 'inactive') active.recorder.stop();
  }
}

/** The first container/codec the browser can record, Opus preferred. */
export function pickMimeType(preferred?: string): string {
  const candidates = [preferred, 'audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/webm', 'audio/mp4'].filter(Boolean) as string[];
  for (const candidate of candidates) {
    if (typeof MediaRecorder !== 'undefined' && MediaRecorder.isTypeSupported(candidate)) return candidate;
  }
  return '';
}
