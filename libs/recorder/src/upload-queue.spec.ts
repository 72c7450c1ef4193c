import { ApiError, type ApiClient, type UploadChunkInput } from './api-client';
import { createMemoryChunkStore, type StoredChunk } from './chunk-store';
import { Emitter } from './emitter';
import type { RecorderEvents } from './recorder-events';
import { UploadQueue } from './upload-queue';

const chunk = (chunkIndex: number, sessionId = 's1'): StoredChunk => ({
  sessionId,
  chunkIndex,
  startTimeSec: chunkIndex * 30,
  durationSec: 30,
  mimeType: 'audio/webm',
  parts: [new Blob([`chunk-${chunkIndex}`])],
  status: 'pending',
  recordedAtMs: 0,
});

function setup(answer: (input: UploadChunkInput, attempt: number) => ApiError | undefined) {
  const store = createMemoryChunkStore();
  const events = new Emitter<RecorderEvents>();
  const uploads: number[] = [];
  const completes: { sessionId: string; totalChunks: number }[] = [];
  const attempts = new Map<number, number>();
  const api: ApiClient = {
    createSession: () => Promise.reject(new Error('unused')),
    getSession: () => Promise.reject(new Error('unused')),
    uploadChunk: async (input) => {
      const attempt = (attempts.get(input.chunkIndex) ?? 0) + 1;
      attempts.set(input.chunkIndex, attempt);
      const error = answer(input, attempt);
      if (error) throw error;
      uploads.push(input.chunkIndex);
      return { chunk: {} as never, duplicate: false };
    },
    completeSession: async (input) => {
      completes.push(input);
      return {} as never;
    },
  };
  const log: { type: keyof RecorderEvents; payload: unknown }[] = [];
  for (const type of ['chunk-uploaded', 'chunk-failed', 'session-complete-sent', 'error'] as const)
    events.on(type, (payload) => log.push({ type, payload }));
  const queue = new UploadQueue({
    api,
    store,
    events,
    backoff: { baseDelayMs: 10, maxDelayMs: 80 },
    isOnline: () => true,
    random: () => 1,
  });
  return { store, queue, uploads, completes, log };
}

describe('the upload queue', () => {
  it('sends stored chunks in index order, retries retryable failures with growing delays, then completes the session', async () => {
    const { store, queue, uploads, completes, log } = setup((input, attempt) =>
      input.chunkIndex === 1 && attempt <= 3 ? new ApiError(503, 'UNAVAILABLE', 'down') : undefined,
    );
    for (const index of [2, 0, 1]) await store.putChunk(chunk(index));
    await store.putSession({ sessionId: 's1', startedAtMs: 0, nextChunkIndex: 3, totalChunks: 3 });
    queue.start();
    await queue.idle(5);
    await queue.close();
    expect(uploads).toEqual([0, 1, 2]);
    const failures = log
      .filter((event) => event.type === 'chunk-failed')
      .map((event) => event.payload as { attempts: number; retryInMs: number; permanent: boolean });
    expect(failures.map(({ attempts, retryInMs, permanent }) => ({ attempts, retryInMs, permanent }))).toEqual([
      { attempts: 1, retryInMs: 10, permanent: false },
      { attempts: 2, retryInMs: 20, permanent: false },
      { attempts: 3, retryInMs: 40, permanent: false },
    ]);
    expect(completes).toEqual([{ sessionId: 's1', totalChunks: 3 }]);
    expect(await store.listChunks()).toEqual([]);
    expect(await store.listSessions()).toEqual([]);
  });

  it('waits at least Retry-After', async () => {
    const { store, queue, log } = setup((_input, attempt) =>
      attempt === 1 ? new ApiError(429, 'RATE_LIMITED', 'slow down', 50) : undefined,
    );
    await store.putChunk(chunk(0));
    queue.start();
    await queue.idle(5);
    await queue.close();
    expect(log.find((event) => event.type === 'chunk-failed')?.payload).toMatchObject({
      retryInMs: 50,
      permanent: false,
    });
  });

  it('reports a permanent refusal once, keeps the chunk as failed and goes on with the others', async () => {
    const { store, queue, uploads, completes, log } = setup((input) =>
      input.chunkIndex === 0 ? new ApiError(413, 'PAYLOAD_TOO_LARGE', 'too big') : undefined,
    );
    await store.putChunk(chunk(0));
    await store.putChunk(chunk(1));
    await store.putSession({ sessionId: 's1', startedAtMs: 0, nextChunkIndex: 2, totalChunks: 2 });
    queue.start();
    await queue.idle(5);
    await queue.close();
    expect(uploads).toEqual([1]);
    expect(log.filter((event) => event.type === 'chunk-failed')).toEqual([
      {
        type: 'chunk-failed',
        payload: expect.objectContaining({
          chunkIndex: 0,
          status: 413,
          code: 'PAYLOAD_TOO_LARGE',
          permanent: true,
          attempts: 1,
        }),
      },
    ]);
    expect(log.some((event) => event.type === 'error')).toBe(true);
    // The session is still declared complete: the server reports index 0 as missing.
    expect(completes).toEqual([{ sessionId: 's1', totalChunks: 2 }]);
  });

  it('holds session-complete while a chunk of the session is still being recorded', async () => {
    const { store, queue, completes } = setup(() => undefined);
    await store.putChunk({ ...chunk(0), status: 'recording' });
    await store.putSession({ sessionId: 's1', startedAtMs: 0, nextChunkIndex: 1, totalChunks: 1 });
    queue.start();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(completes).toEqual([]);
    await store.putChunk(chunk(0));
    queue.kick();
    await queue.idle(5);
    await queue.close();
    expect(completes).toEqual([{ sessionId: 's1', totalChunks: 1 }]);
  });
});
