import { Redis } from 'ioredis';

/** Longest a rate-limit command may wait for Redis before the request goes through uncounted. */
const RATE_LIMIT_COMMAND_TIMEOUT_MS = 1_000;

/**
 * The Redis client of the rate limiter. Bounded retries and a command timeout: when Redis is down the
 * limiter (skipOnError) lets requests through after at most a second instead of stalling every upload.
 */
export function createRateLimitRedis(url: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, commandTimeout: RATE_LIMIT_COMMAND_TIMEOUT_MS });
  redis.on('error', () => undefined); // reported by /ready; one line per reconnect attempt would flood the log
  return redis;
}
