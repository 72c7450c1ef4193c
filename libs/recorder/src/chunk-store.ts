/** A chunk kept until the server has it. The bytes live in the browser (IndexedDB), so a reload loses nothing. */
export interface StoredChunk {
  sessionId: string;
  chunkIndex: number;
  startTimeSec: number;
  /** Unknown for a chunk cut short by a reload or crash (recovered from its saved parts). */
  durationSec?: number;
  mimeType: string;
  /** MediaRecorder's pieces of one recording, in order: together they are one self-contained file. */
  parts: Blob[];
  /**
   * `recording`: a live recorder is still adding parts (saved every `persistIntervalMs`);
   * `pending`: complete, waiting for upload; `failed`: the server refused it for good (kept, see `retryFailed`).
   */
  status: 'recording' | 'pending' | 'failed';
  failure?: { status: number; code: string; message: string };
  recordedAtMs: number;
}

/** What is needed to continue or finish a session after a reload. */
export interface StoredSession {
  sessionId: string;
  /** Epoch ms of the session's first recording: start_time of later recordings counts from here. */
  startedAtMs: number;
  nextChunkIndex: number;
  /** Set by stop(): `session-complete` is due once none of its chunks waits. */
  totalChunks?: number;
}

export interface ChunkStore {
  putChunk(chunk: StoredChunk): Promise<void>;
  deleteChunk(sessionId: string, chunkIndex: number): Promise<void>;
  /** Every stored chunk, by session id then chunk index. */
  listChunks(): Promise<StoredChunk[]>;
  putSession(session: StoredSession): Promise<void>;
  getSession(sessionId: string): Promise<StoredSession | undefined>;
  listSessions(): Promise<StoredSession[]>;
  deleteSession(sessionId: string): Promise<void>;
}

const byIndex = (a: StoredChunk, b: StoredChunk) =>
  a.sessionId === b.sessionId ? a.chunkIndex - b.chunkIndex : a.sessionId < b.sessionId ? -1 : 1;

/** Keeps everything in memory: for tests, and browsers without IndexedDB (nothing survives a reload there). */
export function createMemoryChunkStore(): ChunkStore {
  const chunks = new Map<string, StoredChunk>();
  const sessions = new Map<string, StoredSession>();
  const key = (sessionId: string, chunkIndex: number) => `${sessionId}\u0000${chunkIndex}`;
  return {
    putChunk: async (chunk) =>
      void chunks.set(key(chunk.sessionId, chunk.chunkIndex), { ...chunk, parts: [...chunk.parts] }),
    deleteChunk: async (sessionId, chunkIndex) => void chunks.delete(key(sessionId, chunkIndex)),
    listChunks: async () => [...chunks.values()].map((chunk) => ({ ...chunk })).sort(byIndex),
    putSession: async (session) => void sessions.set(session.sessionId, { ...session }),
    getSession: async (sessionId) => {
      const session = sessions.get(sessionId);
      return session && { ...session };
    },
    listSessions: async () => [...sessions.values()].map((session) => ({ ...session })),
    deleteSession: async (sessionId) => void sessions.delete(sessionId),
  };
}

const DB_VERSION = 1;
const CHUNKS = 'chunks';
const SESSIONS = 'sessions';

const settle = <T>(request: IDBRequest<T>) =>
  new Promise<T>((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
  });

/** IndexedDB (database `earshot-recorder` by default): chunks keyed by [sessionId, chunkIndex], sessions by id. */
export function createIndexedDbChunkStore(databaseName = 'earshot-recorder'): ChunkStore {
  let opened: Promise<IDBDatabase> | undefined;
  const open = () =>
    (opened ??= new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open(databaseName, DB_VERSION);
      request.onupgradeneeded = () => {
        const db = request.result;
        if (!db.objectStoreNames.contains(CHUNKS))
          db.createObjectStore(CHUNKS, { keyPath: ['sessionId', 'chunkIndex'] });
        if (!db.objectStoreNames.contains(SESSIONS)) db.createObjectStore(SESSIONS, { keyPath: 'sessionId' });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error ?? new Error('IndexedDB could not be opened'));
    }));

  async function run<T>(
    storeName: string,
    mode: IDBTransactionMode,
    action: (store: IDBObjectStore) => IDBRequest<T>,
  ): Promise<T> {
    const db = await open();
    const transaction = db.transaction(storeName, mode);
    const result = settle(action(transaction.objectStore(storeName)));
    // A write counts once it is committed, not merely requested.
    await new Promise<void>((resolve, reject) => {
      transaction.oncomplete = () => resolve();
      transaction.onerror = () => reject(transaction.error ?? new Error('IndexedDB transaction failed'));
      transaction.onabort = () => reject(transaction.error ?? new Error('IndexedDB transaction aborted'));
    });
    return result;
  }

  return {
    putChunk: async (chunk) => void (await run(CHUNKS, 'readwrite', (store) => store.put(chunk))),
    deleteChunk: async (sessionId, chunkIndex) =>
      void (await run(CHUNKS, 'readwrite', (store) => store.delete([sessionId, chunkIndex]))),
    listChunks: async () => ((await run(CHUNKS, 'readonly', (store) => store.getAll())) as StoredChunk[]).sort(byIndex),
    putSession: async (session) => void (await run(SESSIONS, 'readwrite', (store) => store.put(session))),
    getSession: async (sessionId) =>
      (await run(SESSIONS, 'readonly', (store) => store.get(sessionId))) as StoredSession | undefined,
    listSessions: async () => (await run(SESSIONS, 'readonly', (store) => store.getAll())) as StoredSession[],
    deleteSession: async (sessionId) => void (await run(SESSIONS, 'readwrite', (store) => store.delete(sessionId))),
  };
}

/**
 * IndexedDB when the browser lets the page open it, else memory (some private modes refuse IndexedDB): the
 * recording goes on either way, and `onFallback` tells the page that a reload would now lose the queue.
 */
export function createBrowserChunkStore(onFallback: (error: unknown) => void = () => undefined): ChunkStore {
  let chosen: Promise<ChunkStore> | undefined;
  const pick = () =>
    (chosen ??= (async () => {
      if (typeof indexedDB === 'undefined') throw new Error('IndexedDB is not available');
      const durable = createIndexedDbChunkStore();
      await durable.listSessions();
      return durable;
    })().catch((error: unknown) => {
      onFallback(error);
      return createMemoryChunkStore();
    }));
  return {
    putChunk: async (chunk) => (await pick()).putChunk(chunk),
    deleteChunk: async (sessionId, chunkIndex) => (await pick()).deleteChunk(sessionId, chunkIndex),
    listChunks: async () => (await pick()).listChunks(),
    putSession: async (session) => (await pick()).putSession(session),
    getSession: async (sessionId) => (await pick()).getSession(sessionId),
    listSessions: async () => (await pick()).listSessions(),
    deleteSession: async (sessionId) => (await pick()).deleteSession(sessionId),
  };
}
