import type { Redis } from 'ioredis';
import { LIVE_SESSION_TTL_SEC, REDIS_KEYS } from '@earshot/contracts';
import type { LiveSessionStore } from '../sessions/ports';

/** `audio:session:{id}` hash with a 4 h TTL, refreshed on every write. */
export function createLiveSessionStore(redis: Redis): LiveSessionStore {
  return {
    async record(sessionId, fields) {
      const key = REDIS_KEYS.liveSession(sessionId);
      await redis
        .multi()
        .hset(key, { ...fields, last_activity_at: new Date().toISOString() })
        .expire(key, LIVE_SESSION_TTL_SEC)
        .exec();
    },
    async countUpload(sessionId, chunkIndex) {
      const key = REDIS_KEYS.liveSession(sessionId);
      await redis
        .multi()
        .hincrby(key, 'uploaded_chunks', 1)
        .hset(key, { last_chunk_index: chunkIndex, last_activity_at: new Date().toISOString() })
        .expire(key, LIVE_SESSION_TTL_SEC)
        .exec();
    },
  };
}
