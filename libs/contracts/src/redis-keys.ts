/**
 * PERSISTED VALUES: these key shapes live in Redis across deploys. Renaming one orphans live state.
 */
export const REDIS_KEYS = {
  /** Live session state (hash), refreshed on activity. */
  liveSession: (sessionId: string) => `audio:session:${sessionId}`,
  /** Per-user upload rate limit bucket (owned by the gateway's limiter). */
  uploadRate: (userId: string) => `audio:rate:upload:${userId}`,
  /** Per-user bucket of the looser limit on every other /api call. */
  apiRate: (userId: string) => `audio:rate:api:${userId}`,
} as const;

export const LIVE_SESSION_TTL_SEC = 4 * 60 * 60;
