import { createBrowserChunkStore } from './chunk-store';

describe('createBrowserChunkStore', () => {
  it('keeps chunks in memory and says so when IndexedDB is unavailable', async () => {
    const fallbacks: unknown[] = [];
    const store = createBrowserChunkStore((error) => fallbacks.push(error));
    const chunk = {
      sessionId: 's',
      chunkIndex: 0,
      startTimeSec: 0,
      mimeType: 'audio/webm',
      parts: [new Blob(['x'])],
      status: 'pending' as const,
      recordedAtMs: 0,
    };
    await store.putChunk(chunk);
    await store.putChunk({ ...chunk, chunkIndex: 1 });
    expect((await store.listChunks()).map((stored) => stored.chunkIndex)).toEqual([0, 1]);
    expect(fallbacks).toHaveLength(1);
  });
});
