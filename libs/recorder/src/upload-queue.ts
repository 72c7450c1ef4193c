import { ApiError, type ApiClient } from './api-client';
import { backoffDelayMs, DEFAULT_BACKOFF, type BackoffOptions } from './backoff';
import type { ChunkStore, StoredChunk } from './chunk-store';
import type { Emitter } from './emitter';
import type { RecorderEvents } from './recorder-events';

export interface UploadQueueDeps {
  api: ApiClient;
  store: ChunkStore;
  events: Emitter<RecorderEvents>;
  backoff?: BackoffOptions;
  isOnline?: () => boolean;
  random?: () => number;
  /** Runs once this queue owns the upload lock, before its first upload (e.g. recovering interrupted chunks). */
  onAcquire?: () => Promise<void>;
}

/** Web Locks name held by the tab whose loop sends the shared queue. */
const QUEUE_LOCK = 'earshot-recorder-upload-queue';

const toApiError = (error: unknown) =>
  error instanceof ApiError ? error : new ApiError(0, 'CLIENT', error instanceof Error ? error.message : String(error));

/**
 * Sends stored chunks one at a time, lowest index first, until the server has each one; then sends
 * `session-complete` for sessions that were stopped. Retryable failures wait (exponential backoff with jitter,
 * at least Retry-After) and are woken early by `kick()` (the page going online, a new chunk). Permanent
 * failures mark the chunk `failed`, are reported, and the queue moves on.
 */
export class UploadQueue {
  private readonly backoff: BackoffOptions;
  private readonly isOnline: () => boolean;
  private wake: (() => void) | undefined;
  private sleeping: 'idle' | 'backoff' | undefined;
  private kicked = false;
  private closed = false;
  private readonly closing = new AbortController();
  private loop: Promise<void> | undefined;
  /** Attempts of the item being retried; reset when it succeeds or fails for good. */
  private attempts = new Map<string, number>();

  constructor(private readonly deps: UploadQueueDeps) {
    this.backoff = deps.backoff ?? DEFAULT_BACKOFF;
    this.isOnline = deps.isOnline ?? (() => (typeof navigator === 'undefined' ? true : navigator.onLine));
  }

  /**
   * Starts the loop (idempotent). With the Web Locks API, one tab of the origin uploads at a time (they share
   * the IndexedDB queue); another tab's loop takes over when that tab closes.
   */
  start(): void {
    const locks =
      typeof navigator === 'undefined' ? undefined : (navigator as Navigator & { locks?: LockManager }).locks;
    const run = async () => {
      if (locks) await locks.request(QUEUE_LOCK, { signal: this.closing.signal }, () => this.run());
      else await this.run();
    };
    this.loop ??= run().catch((error: unknown) => {
      if (this.closed) return; // closed while waiting for another tab's lock
      this.deps.events.emit('error', {
        source: 'store',
        message: error instanceof Error ? error.message : String(error),
      });
    });
  }

  /** Something changed (new chunk, back online, stop): look again now rather than after the current wait. */
  kick(reason: 'work' | 'retry-now' = 'work'): void {
    // New work does not cut a backoff short (the server asked us to wait); coming back online does.
    if (reason === 'work' && this.sleeping === 'backoff') return;
    this.kicked = true;
    this.wake?.();
  }

  /** Resolves when nothing is left to send (no pending chunk, no due session-complete). For tests and pages. */
  async idle(pollMs = 100): Promise<void> {
    while (!this.closed && (await this.nextWork()) !== undefined)
      await new Promise((resolve) => setTimeout(resolve, pollMs));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.closing.abort();
    this.wake?.();
    await this.loop;
  }

  async reportLength(): Promise<void> {
    const chunks = await this.deps.store.listChunks();
    this.deps.events.emit('queue', {
      pending: chunks.filter((chunk) => chunk.status !== 'failed').length,
      failed: chunks.filter((chunk) => chunk.status === 'failed').length,
      online: this.isOnline(),
    });
  }

  private sleep(ms: number, kind: 'idle' | 'backoff'): Promise<void> {
    if (this.kicked) {
      this.kicked = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.wake = undefined;
        this.sleeping = undefined;
        this.kicked = false;
        resolve();
      };
      const timer = setTimeout(finish, ms);
      this.wake = finish;
      this.sleeping = kind;
    });
  }

  private async nextWork(): Promise<
    { kind: 'chunk'; chunk: StoredChunk } | { kind: 'complete'; sessionId: string; totalChunks: number } | undefined
  > {
    const chunks = await this.deps.store.listChunks();
    const chunk = chunks.find((candidate) => candidate.status === 'pending');
    if (chunk) return { kind: 'chunk', chunk };
    for (const session of await this.deps.store.listSessions()) {
      if (session.totalChunks === undefined) continue;
      const waiting = chunks.some(
        (candidate) => candidate.sessionId === session.sessionId && candidate.status !== 'failed',
      );
      if (!waiting) return { kind: 'complete', sessionId: session.sessionId, totalChunks: session.totalChunks };
    }
    return undefined;
  }

  private async run(): Promise<void> {
    await this.deps.onAcquire?.().catch((error: unknown) => {
      this.deps.events.emit('error', {
        source: 'store',
        message: error instanceof Error ? error.message : String(error),
      });
    });
    while (!this.closed) {
      const work = await this.nextWork();
      await this.reportLength();
      if (!work) {
        await this.sleep(this.backoff.maxDelayMs, 'idle');
        continue;
      }
      const key =
        work.kind === 'chunk' ? `${work.chunk.sessionId}:${work.chunk.chunkIndex}` : `${work.sessionId}:complete`;
      const attempt = (this.attempts.get(key) ?? 0) + 1;
      this.attempts.set(key, attempt);
      try {
        if (work.kind === 'chunk') await this.send(work.chunk, attempt);
        else await this.complete(work.sessionId, work.totalChunks);
        this.attempts.delete(key);
      } catch (raw) {
        const error = toApiError(raw);
        if (error.retryable) {
          const retryInMs = Math.max(backoffDelayMs(attempt, this.backoff, this.deps.random), error.retryAfterMs ?? 0);
          this.report(work, error, attempt, retryInMs);
          await this.sleep(retryInMs, 'backoff');
        } else {
          this.attempts.delete(key);
          this.report(work, error, attempt);
          if (work.kind === 'chunk') {
            const failure = { status: error.status, code: error.code, message: error.message };
            await this.deps.store.putChunk({ ...work.chunk, status: 'failed', failure });
          } else {
            // The server will not complete it (closed, finished with another total): nothing more to do.
            await this.deps.store.deleteSession(work.sessionId);
          }
        }
      }
    }
  }

  private async send(chunk: StoredChunk, attempt: number): Promise<void> {
    const reply = await this.deps.api.uploadChunk({
      sessionId: chunk.sessionId,
      chunkIndex: chunk.chunkIndex,
      startTimeSec: chunk.startTimeSec,
      durationSec: chunk.durationSec,
      audio: new Blob(chunk.parts, { type: chunk.mimeType }),
    });
    await this.deps.store.deleteChunk(chunk.sessionId, chunk.chunkIndex);
    this.deps.events.emit('chunk-uploaded', {
      sessionId: chunk.sessionId,
      chunkIndex: chunk.chunkIndex,
      duplicate: reply.duplicate,
      attempts: attempt,
    });
  }

  private async complete(sessionId: string, totalChunks: number): Promise<void> {
    await this.deps.api.completeSession({ sessionId, totalChunks });
    for (const chunk of await this.deps.store.listChunks()) {
      if (chunk.sessionId === sessionId) await this.deps.store.deleteChunk(sessionId, chunk.chunkIndex);
    }
    await this.deps.store.deleteSession(sessionId);
    this.deps.events.emit('session-complete-sent', { sessionId, totalChunks });
  }

  private report(
    work: NonNullable<Awaited<ReturnType<UploadQueue['nextWork']>>>,
    error: ApiError,
    attempts: number,
    retryInMs?: number,
  ): void {
    const permanent = retryInMs === undefined;
    if (work.kind === 'chunk') {
      this.deps.events.emit('chunk-failed', {
        sessionId: work.chunk.sessionId,
        chunkIndex: work.chunk.chunkIndex,
        status: error.status,
        code: error.code,
        message: error.message,
        attempts,
        permanent,
        ...(permanent ? {} : { retryInMs }),
      });
    }
    if (permanent) {
      this.deps.events.emit('error', {
        source: work.kind === 'chunk' ? 'upload' : 'complete',
        message: error.message,
        status: error.status,
        code: error.code,
      });
    }
  }
}
