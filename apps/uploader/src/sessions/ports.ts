import type { ChunksRepository, SessionsRepository } from '@earshot/db';
import type { EventPublisher } from '@earshot/events';
import type { JobName, JobPayloads } from '@earshot/contracts';
import type { ObjectStorage } from '@earshot/storage';

/** Live session state in Redis (`audio:session:{id}`, 4 h TTL refreshed on activity). */
export interface LiveSessionStore {
  record(sessionId: string, fields: Record<string, string | number>): Promise<void>;
  countUpload(sessionId: string, chunkIndex: number): Promise<void>;
}

export interface JobQueue {
  enqueue<N extends JobName>(name: N, payload: JobPayloads[N]): Promise<void>;
}

/** Everything the session use cases touch, as ports: tests pass fakes, main.ts passes adapters. */
export interface SessionDeps {
  sessions: SessionsRepository;
  chunks: ChunksRepository;
  storage: ObjectStorage;
  queue: JobQueue;
  events: EventPublisher;
  live: LiveSessionStore;
  limits: {
    /** Largest accepted chunk file. */
    maxChunkBytes: number;
    /** A 'receiving' claim untouched this long belongs to a dead request (live uploads refresh it). */
    claimStaleMs: number;
    /** A chunk body that sends no byte for this long is cut off with 408 UPLOAD_STALLED. */
    uploadIdleTimeoutMs: number;
  };
}
