import type { FastifyRequest } from 'fastify';
import { REDIS_KEYS } from '@earshot/contracts';
import { principalOf } from '@earshot/http';

export const RATE_LIMIT_WINDOW_MS = 60_000;
export const UPLOAD_CHUNK_PATH = '/api/audio/upload-chunk';

/**
 * Path as the router sees it, so `//upload-chunk/` or a query string cannot dodge the upload bucket. Escapes
 * and dot segments never get here: the gateway refuses every non-canonical spelling first (canonical-path.ts).
 */
const normalizedPath = (url: string): string => (url.split('?')[0] ?? '').replace(/\/{2,}/g, '/').replace(/(.)\/$/, '$1').toLowerCase();

export const isChunkUpload = (request: FastifyRequest): boolean =>
  request.method === 'POST' && normalizedPath(request.url) === UPLOAD_CHUNK_PATH;

/** Redis key of the caller's bucket: uploads and everything else are counted apart. */
export const rateLimitKey = (request: FastifyRequest): string => {
  const { userId } = principalOf(request);
  return isChunkUpload(request) ? REDIS_KEYS.uploadRate(userId) : REDIS_KEYS.apiRate(userId);
};

