import { randomUUID } from 'node:crypto';

export const TEST_REDIS_URL = process.env.EARSHOT_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key/queue prefix of its own per test, so parallel tests never share Redis state. */
export const uniquePrefix = (label = 'test'): string => `earshot-${label}-${randomUUID().slice(0, 8)}`;
