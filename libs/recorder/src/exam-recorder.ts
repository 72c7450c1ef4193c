import type { Chunk, ChunkProcessedEvent } from '@earshot/contracts';
import { createApiClient, type ApiClient, type GetToken } from './api-client';
import { DEFAULT_BACKOFF, type BackoffOptions } from './backoff';
import { ChunkRecorder, pickMimeType, type FinishedRecording } from './chunk-recorder';
import { createBrowserChunkStore, type ChunkStore, type StoredChunk, type StoredSession } from './chunk-store';
import { Emitter } from './emitter';
import { watchInputLevel } from './input-level';
import { connectLiveEvents } from './live-events';
import type { RecorderEvents, RecorderState } from './recorder-events';
import { UploadQueue } from './upload-queue';

export interface ExamRecorderOptions {
  /** Gateway origin. Default '' (same origin as the page). */
  baseUrl?: string;
  /** Bearer token for every request and socket handshake; called each time, so it may refresh. */
  getToken: GetToken;
  /** Length of each chunk. Default 30 s. */
  chunkDurationSec?: number;
  /** Opus bitrate. Default 64000. */
  audioBitsPerSecond?: number;
  /** Preferred container/codec. Default the first supported of webm/opus, ogg/opus, webm, mp4. */
  mimeType?: string;
  /** Default true. */
  echoCancellation?: boolean;
  /** Default true. */
  noiseSuppression?: boolean;
  /** Default true. */
  autoGainControl?: boolean;
  /** A specific microphone (MediaDeviceInfo.deviceId). Default the system's. */
  deviceId?: string;
  /**
   * How one chunk's recorder hands over to the next. `on-start` (default) stops the previous recorder once the
   * next one records: nothing lost, 40-60 ms recorded in both chunks (Chromium). `immediate` stops it in the same
   * task: 20 ms lost at most boundaries, sometimes 130 ms. Measured by apps/demo/test/gap-bench.ts.
   */
  chunkHandover?: 'on-start' | 'immediate';
  /** How often the chunk being recorded is saved to IndexedDB: the most a reload or crash can lose. Default 1000 ms. */
  partIntervalMs?: number;
  /** How often a `level` event is emitted. Default 100 ms. */
  levelIntervalMs?: number;
  /** Retry delays. Default 1 s doubling up to 30 s, with jitter. */
  backoff?: Partial<BackoffOptions>;
  /** An upload taking longer is abandoned and retried. Default 60000 ms. */
  requestTimeoutMs?: number;
  /** Subscribe to the session's socket.io events (analysis results). Default true. */
  liveEvents?: boolean;
  /** Where unsent chunks wait. Default IndexedDB (memory, with an `error` event, when the browser refuses it). */
  store?: ChunkStore;
  /** Replaces the HTTP client (tests). */
  api?: ApiClient;
}

export type StartInput = { testSessionId: string; metadata?: Record<string, unknown> } | { sessionId: string };

const DEFAULT_CHUNK_SEC = 30;
const DEFAULT_BITRATE = 64_000;
const DEFAULT_PART_INTERVAL_MS = 1_000;
const DEFAULT_LEVEL_INTERVAL_MS = 100;

interface ChunkInProgress {
  sessionId: string;
  chunkIndex: number;
  startTimeSec: number;
}

const errorMessage = (error: unknown) => (error instanceof Error ? error.message : String(error));

const toProcessedEvent = (chunk: Chunk): ChunkProcessedEvent => ({
  session_id: chunk.session_id,
  chunk_index: chunk.chunk_index,
  chunk_id: chunk.id,
  processing_status: chunk.processing_status as ChunkProcessedEvent['processing_status'],
  duration_seconds: chunk.duration_seconds,
  end_time_seconds: chunk.end_time_seconds,
  voice_activity_ratio: chunk.voice_activity_ratio,
  speaker_count: chunk.speaker_count,
  transcription: chunk.transcription,
  suspicious_activity_score: chunk.suspicious_activity_score,
  analysis_results: chunk.analysis_results,
  failure_reason: chunk.failure_reason,
  processed_at: chunk.processed_at ?? '',
});

/**
 * Records an exam session from the microphone as self-contained chunks and gets every one of them to the
 * server: each chunk is saved in IndexedDB while it is recorded and until the server has it, uploads retry with
 * backoff, and the queue resumes on `online` and on the next page load (constructing a recorder is enough).
 */
export class ExamRecorder {
  private readonly events = new Emitter<RecorderEvents>();
  private readonly api: ApiClient;
  private readonly store: ChunkStore;
  private readonly queue: UploadQueue;
  private readonly chunkMs: number;
  private currentState: RecorderState = 'idle';
  private session: StoredSession | undefined;
  private stream: MediaStream | undefined;
  private chunkRecorder: ChunkRecorder | undefined;
  private readonly inProgress = new Map<number, ChunkInProgress>();
  private boundaryTimer: ReturnType<typeof setTimeout> | undefined;
  private boundaries = 0;
  private runStartMs = 0;
  private runOffsetSec = 0;
  private stopLevel: (() => void) | undefined;
  private live: { sessionId: string; close(): void } | undefined;
  private readonly analysed = new Set<string>();
  /** Store writes of the recorder, in order (a part saved late must not overwrite the finished chunk). */
  private writes: Promise<void> = Promise.resolve();
  private readonly onOnline = () => this.queue.kick('retry-now');
  private readonly onOffline = () => void this.queue.reportLength().catch(() => undefined);

  constructor(private readonly options: ExamRecorderOptions) {
    this.chunkMs = (options.chunkDurationSec ?? DEFAULT_CHUNK_SEC) * 1000;
    this.api =
      options.api ??
      createApiClient({
        baseUrl: options.baseUrl,
        getToken: options.getToken,
        requestTimeoutMs: options.requestTimeoutMs,
      });
    this.store =
      options.store ??
      createBrowserChunkStore((error) =>
        this.events.emit('error', {
          source: 'store',
          message: `chunks are kept in memory only (a reload would lose them): ${errorMessage(error)}`,
        }),
      );
    this.queue = new UploadQueue({
      api: this.api,
      store: this.store,
      events: this.events,
      backoff: { ...DEFAULT_BACKOFF, ...options.backoff },
      // Inside the queue's tab lock: only the tab that uploads decides a chunk's recorder is gone.
      onAcquire: () => this.recoverInterrupted(),
    });
    if (typeof window !== 'undefined') {
      window.addEventListener('online', this.onOnline);
      window.addEventListener('offline', this.onOffline);
    }
    this.queue.start();
  }

  /** Subscribe to an event; returns the unsubscribe function. */
  on<K extends keyof RecorderEvents>(event: K, listener: (payload: RecorderEvents[K]) => void): () => void {
    return this.events.on(event, listener);
  }

  get state(): RecorderState {
    return this.currentState;
  }

  get sessionId(): string | undefined {
    return this.session?.sessionId;
  }

  /** The microphone track being recorded (label, settings), while recording. */
  get microphoneTrack(): MediaStreamTrack | undefined {
    return this.stream?.getAudioTracks()[0];
  }

  /**
   * Opens the microphone and starts recording: a new session (`testSessionId`) or more chunks of an existing
   * one (`sessionId`, e.g. after a reload; indexes and start times continue). Resolves with the session id.
   */
  async start(input: StartInput): Promise<string> {
    if (this.currentState === 'starting' || this.currentState === 'recording' || this.currentState === 'stopping') {
      throw new Error(`cannot start while ${this.currentState}`);
    }
    this.setState('starting');
    // Ask the browser not to evict the queue under storage pressure (granted silently to engaged sites).
    void navigator.storage?.persist?.().catch(() => false);
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: {
          channelCount: 1,
          echoCancellation: this.options.echoCancellation ?? true,
          noiseSuppression: this.options.noiseSuppression ?? true,
          autoGainControl: this.options.autoGainControl ?? true,
          ...(this.options.deviceId ? { deviceId: { exact: this.options.deviceId } } : {}),
        },
      });
    } catch (error) {
      this.setState('idle');
      this.events.emit('error', { source: 'microphone', message: errorMessage(error) });
      throw error;
    }
    let session: StoredSession;
    try {
      const sessionId = 'sessionId' in input ? input.sessionId : (await this.api.createSession(input)).id;
      const stored = await this.store.getSession(sessionId);
      session = stored
        ? { sessionId, startedAtMs: stored.startedAtMs, nextChunkIndex: stored.nextChunkIndex }
        : { sessionId, startedAtMs: Date.now(), nextChunkIndex: 0 };
      await this.store.putSession(session);
    } catch (error) {
      for (const track of stream.getTracks()) track.stop();
      this.setState('idle');
      const failure = error as { status?: number; code?: string };
      this.events.emit('error', {
        source: 'session',
        message: errorMessage(error),
        status: failure.status,
        code: failure.code,
      });
      throw error;
    }
    this.session = session;
    this.stream = stream;
    this.watchMicrophone(stream);
    this.stopLevel = watchInputLevel(
      stream,
      (level) => this.events.emit('level', level),
      this.options.levelIntervalMs ?? DEFAULT_LEVEL_INTERVAL_MS,
    );
    this.connectLive(session.sessionId);

    this.chunkRecorder = new ChunkRecorder(stream, {
      mimeType: pickMimeType(this.options.mimeType),
      audioBitsPerSecond: this.options.audioBitsPerSecond ?? DEFAULT_BITRATE,
      partIntervalMs: this.options.partIntervalMs ?? DEFAULT_PART_INTERVAL_MS,
      handover: this.options.chunkHandover ?? 'on-start',
      onPart: (seq, parts) => this.savePart(seq, parts),
      onFinished: (recording) => this.saveFinished(recording),
      onError: (error) => this.events.emit('error', { source: 'microphone', message: error.message }),
    });
    this.boundaries = 0;
    this.runStartMs = performance.now();
    this.runOffsetSec = (Date.now() - session.startedAtMs) / 1000;
    this.beginChunk();
    this.scheduleBoundary();
    this.setState('recording');
    return session.sessionId;
  }

  /**
   * Ends the recording: the last (partial) chunk is saved and queued, the microphone released, and
   * `session-complete` is sent once every chunk of the session has been uploaded.
   */
  async stop(): Promise<void> {
    if (this.currentState !== 'recording' && this.currentState !== 'microphone-lost') return;
    this.setState('stopping');
    await this.endRecording();
    const session = this.session;
    if (session) {
      await this.enqueueWrite(() => this.store.putSession({ ...session, totalChunks: session.nextChunkIndex }));
      await this.writes;
    }
    this.queue.kick();
    this.setState('stopped');
  }

  /** Sessions left recording by an earlier page (reload, crash): continue one with start({ sessionId }) or finish it. */
  async interruptedSessions(): Promise<StoredSession[]> {
    return (await this.store.listSessions()).filter(
      (session) => session.totalChunks === undefined && session.sessionId !== this.session?.sessionId,
    );
  }

  /** Declares an interrupted session finished: `session-complete` follows once its stored chunks are uploaded. */
  async finish(sessionId: string): Promise<void> {
    const session = await this.store.getSession(sessionId);
    if (!session) return;
    await this.store.putSession({ ...session, totalChunks: session.nextChunkIndex });
    this.queue.kick();
  }

  /** Puts the chunks the server refused back in the queue (e.g. after the page got a new token). */
  async retryFailed(): Promise<void> {
    for (const chunk of await this.store.listChunks()) {
      if (chunk.status === 'failed') await this.store.putChunk({ ...chunk, status: 'pending', failure: undefined });
    }
    this.queue.kick('retry-now');
  }

  /** Chunks waiting in the browser: not yet accepted by the server, or refused (`failed`). */
  async storedChunks(): Promise<StoredChunk[]> {
    return this.store.listChunks();
  }

  /** Resolves once nothing is left to send. */
  async whenQueueEmpty(): Promise<void> {
    await this.queue.idle();
  }

  /** Releases everything (microphone, socket, queue loop). A chunk being recorded is saved first. */
  async close(): Promise<void> {
    await this.endRecording();
    await this.writes;
    this.live?.close();
    this.live = undefined;
    if (typeof window !== 'undefined') {
      window.removeEventListener('online', this.onOnline);
      window.removeEventListener('offline', this.onOffline);
    }
    await this.queue.close();
    this.events.clear();
  }

  private setState(state: RecorderState): void {
    this.currentState = state;
    this.events.emit('state', state);
  }

  private enqueueWrite(write: () => Promise<void>): Promise<void> {
    this.writes = this.writes
      .then(write)
      .catch((error: unknown) => this.events.emit('error', { source: 'store', message: errorMessage(error) }));
    return this.writes;
  }

  /** Chunks whose recorder never finished (the page was reloaded or crashed) are queued as they are. */
  private async recoverInterrupted(): Promise<void> {
    const live = new Set([...this.inProgress.values()].map((chunk) => `${chunk.sessionId}:${chunk.chunkIndex}`));
    for (const chunk of await this.store.listChunks()) {
      if (chunk.status !== 'recording' || live.has(`${chunk.sessionId}:${chunk.chunkIndex}`)) continue;
      await this.store.putChunk({ ...chunk, status: 'pending' });
      this.events.emit('chunk-recorded', {
        sessionId: chunk.sessionId,
        chunkIndex: chunk.chunkIndex,
        startTimeSec: chunk.startTimeSec,
        sizeBytes: chunk.parts.reduce((sum, part) => sum + part.size, 0),
        mimeType: chunk.mimeType,
        recovered: true,
      });
    }
  }

  private beginChunk(): void {
    const session = this.session;
    if (!session || !this.chunkRecorder) return;
    const startTimeSec = this.runOffsetSec + (performance.now() - this.runStartMs) / 1000;
    const seq = this.chunkRecorder.rotate();
    this.inProgress.set(seq, { sessionId: session.sessionId, chunkIndex: session.nextChunkIndex, startTimeSec });
    session.nextChunkIndex += 1;
    const snapshot = { ...session };
    void this.enqueueWrite(() => this.store.putSession(snapshot));
  }

  /** Boundaries are due at start + k·chunk, not chained from the last timer, so timer lateness does not add up. */
  private scheduleBoundary(): void {
    this.boundaries += 1;
    const dueMs = this.runStartMs + this.boundaries * this.chunkMs;
    this.boundaryTimer = setTimeout(
      () => {
        this.beginChunk();
        this.scheduleBoundary();
      },
      Math.max(0, dueMs - performance.now()),
    );
  }

  private savePart(seq: number, parts: readonly Blob[]): void {
    const chunk = this.inProgress.get(seq);
    if (!chunk) return;
    const mimeType = parts[0]?.type || pickMimeType(this.options.mimeType);
    void this.enqueueWrite(() =>
      this.store.putChunk({ ...chunk, mimeType, parts: [...parts], status: 'recording', recordedAtMs: Date.now() }),
    );
  }

  private saveFinished(recording: FinishedRecording): void {
    const chunk = this.inProgress.get(recording.seq);
    if (!chunk) return;
    const durationSec = (recording.stoppedAtMs - recording.startedAtMs) / 1000;
    const sizeBytes = recording.parts.reduce((sum, part) => sum + part.size, 0);
    void this.enqueueWrite(async () => {
      if (sizeBytes === 0) {
        // Nothing was captured (stopped within milliseconds): the index stays a gap the server reports as missing.
        await this.store.deleteChunk(chunk.sessionId, chunk.chunkIndex);
        this.inProgress.delete(recording.seq);
        return;
      }
      await this.store.putChunk({
        ...chunk,
        durationSec,
        mimeType: recording.mimeType,
        parts: recording.parts,
        status: 'pending',
        recordedAtMs: Date.now(),
      });
      // Live until written as pending, so a recovery running meanwhile leaves it alone.
      this.inProgress.delete(recording.seq);
      this.events.emit('chunk-recorded', {
        ...chunk,
        durationSec,
        sizeBytes,
        mimeType: recording.mimeType,
        recovered: false,
      });
      this.queue.kick();
    });
  }

  private watchMicrophone(stream: MediaStream): void {
    const track = stream.getAudioTracks()[0];
    if (!track) return;
    const report = (state: 'live' | 'muted' | 'ended') => this.events.emit('microphone', { state, label: track.label });
    report(track.muted ? 'muted' : 'live');
    track.addEventListener('mute', () => report('muted'));
    track.addEventListener('unmute', () => report('live'));
    track.addEventListener('ended', () => {
      report('ended');
      if (this.stream !== stream || this.currentState !== 'recording') return;
      this.events.emit('error', {
        source: 'microphone',
        message: 'the microphone was disconnected or its permission revoked',
      });
      void this.endRecording().then(() => this.setState('microphone-lost'));
    });
  }

  private async endRecording(): Promise<void> {
    clearTimeout(this.boundaryTimer);
    this.boundaryTimer = undefined;
    const recorder = this.chunkRecorder;
    this.chunkRecorder = undefined;
    await recorder?.stop();
    this.stopLevel?.();
    this.stopLevel = undefined;
    const track = this.stream?.getAudioTracks()[0];
    for (const each of this.stream?.getTracks() ?? []) each.stop();
    this.stream = undefined;
    if (track) this.events.emit('microphone', { state: 'off', label: track.label });
    await this.writes;
  }

  private connectLive(sessionId: string): void {
    if (this.options.liveEvents === false || this.live?.sessionId === sessionId) return;
    this.live?.close();
    const emitAnalysis = (event: ChunkProcessedEvent) => {
      if (event.processing_status !== 'completed' && event.processing_status !== 'failed') return;
      const key = `${event.session_id}:${event.chunk_index}`;
      if (this.analysed.has(key)) return;
      this.analysed.add(key);
      this.events.emit('analysis', event);
    };
    const connection = connectLiveEvents({
      baseUrl: this.options.baseUrl ?? '',
      getToken: this.options.getToken,
      sessionId,
      handlers: {
        chunk_processed: emitAnalysis,
        chunk_uploaded: (event) => this.events.emit('server-chunk-uploaded', event),
        session_progress: (event) => this.events.emit('session-progress', event),
        session_completed: (event) => this.events.emit('session-completed', event),
      },
      // Results published while the socket was down are not replayed: read them once from the API.
      onSubscribed: () => {
        this.api.getSession(sessionId).then(
          (session) => session.chunks.forEach((chunk) => emitAnalysis(toProcessedEvent(chunk))),
          () => undefined,
        );
      },
      onError: (message, code) => this.events.emit('error', { source: 'live-events', message, code }),
    });
    this.live = { sessionId, close: () => connection.close() };
  }
}

export const createExamRecorder = (options: ExamRecorderOptions): ExamRecorder => new ExamRecorder(options);
