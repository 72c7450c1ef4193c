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
  /**
   * `on-start` (default): the previous recorder stops once the next one has fired `start` (no audio lost, 40-60 ms
   * recorded twice in Chromium). `immediate`: both in the same task (20-130 ms lost per boundary).
   */
  handover?: 'on-start' | 'immediate';
  /** MediaRecorder hands over data this often; each piece is saved, so a crash loses at most this much. */
  partIntervalMs: number;
  /** A piece of the recording `seq` arrived; `parts` is everything so far (a valid file prefix). */
  onPart(seq: number, parts: readonly Blob[]): void;
  onFinished(recording: FinishedRecording): void;
  onError(error: Error): void;
}

/** If the next recorder has not reported `start` by then, the previous one is stopped anyway. */
const HANDOVER_TIMEOUT_MS = 1_000;

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
 * recorder is started first and the previous one stopped once the next records: stopping both in the same task
 * lost 20-130 ms of audio per boundary in Chromium (measured, libs/recorder/README.md).
 */
export class ChunkRecorder {
  private active: Active | undefined;
  /** Recorders of finished chunks that keep recording until their successor has started. */
  private readonly handingOver = new Set<Active>();
  private seq = 0;

  constructor(
    private readonly stream: MediaStream,
    private readonly options: ChunkRecorderOptions,
  ) {}

  /**
   * Starts the next chunk and ends the current one (if any) as soon as the next one really records (its `start`
   * event), so no audio falls between them; at worst they overlap by the event's latency. Returns the new
   * chunk's sequence number.
   */
  rotate(): number {
    const previous = this.active;
    const next = this.begin(this.seq++);
    this.active = next;
    if (previous && this.options.handover === 'immediate') this.end(previous);
    else if (previous) {
      this.handingOver.add(previous);
      const handOver = () => {
        clearTimeout(fallback);
        if (this.handingOver.delete(previous)) this.end(previous);
      };
      const fallback = setTimeout(handOver, HANDOVER_TIMEOUT_MS);
      next.recorder.addEventListener('start', handOver, { once: true });
    }
    return next.seq;
  }

  /** Ends the current chunk; resolves once its last piece has been handed to onFinished. */
  async stop(): Promise<void> {
    const ending = [...this.handingOver, ...(this.active ? [this.active] : [])];
    this.handingOver.clear();
    this.active = undefined;
    for (const active of ending) this.end(active);
    await Promise.all(ending.map((active) => active.finished));
  }

  private begin(seq: number): Active {
    const recorder = new MediaRecorder(this.stream, {
      mimeType: this.options.mimeType,
      audioBitsPerSecond: this.options.audioBitsPerSecond,
    });
    const active: Active = { seq, recorder, parts: [], startedAtMs: 0, stoppedAtMs: 0, finished: Promise.resolve() };
    active.finished = new Promise<void>((resolve) => {
      recorder.addEventListener('dataavailable', (event: BlobEvent) => {
        if (event.data.size === 0) return;
        active.parts.push(event.data);
        if (recorder.state === 'recording') this.options.onPart(seq, active.parts.slice());
      });
      recorder.addEventListener('stop', () => {
        const { parts, startedAtMs, stoppedAtMs } = active;
        this.options.onFinished({
          seq,
          parts: parts.slice(),
          mimeType: recorder.mimeType || this.options.mimeType,
          startedAtMs,
          stoppedAtMs,
        });
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
  const candidates = [preferred, 'audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/webm', 'audio/mp4'].filter(
    Boolean,
  ) as string[];
  for (const candidate of candidates) {
    if (typeof MediaRecorder !== 'undefined' && MediaRecorder.isTypeSupported(candidate)) return candidate;
  }
  return '';
}
