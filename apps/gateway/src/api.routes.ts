import httpProxy from '@fastify/http-proxy';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { DomainError } from '@earshot/contracts';
import { isChunkUpload, RATE_LIMIT_WINDOW_MS, rateLimitKey } from './rate-limit';
import { createUpstreamDispatcher, upstreamPoolOptions, upstreamReplyOptions } from './upstream';

export interface ApiRoutesOptions {
  uploaderUrl: string;
  upstreamKeepAliveTimeoutMs: number;
  redis: Redis;
  uploadsPerMinute: number;
  apiPerMinute: number;
}

/**
 * `/api/audio/*` → uploader. Order per request: verify the bearer token (onRequest, before any body byte is
 * read), count it in the caller's Redis bucket, then stream the request through with Authorization unchanged:
 * the uploader verifies the token again and owns every business rule.
 */
export async function apiRoutes(app: FastifyInstance, options: ApiRoutesOptions): Promise<void> {
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    try {
      await app.authenticate(request);
    } catch (error) {
      void reply.header('www-authenticate', 'Bearer');
      throw error;
    }
  });

  await app.register(rateLimit, {
    redis: options.redis,
    nameSpace: '',
    timeWindow: RATE_LIMIT_WINDOW_MS,
    keyGenerator: rateLimitKey,
    max: (request) => (isChunkUpload(request) ? options.uploadsPerMinute : options.apiPerMinute),
    // A Redis outage must not stop exams from recording: count nothing and let the request through.
    skipOnError: true,
    errorResponseBuilder: (_request, context) =>
      new DomainError(
        'RATE_LIMITED',
        `Rate limit of ${context.max} requests per minute exceeded; retry in ${context.after}`,
        {
          retry_after_sec: Math.ceil(context.ttl / 1000),
        },
      ),
  });

  await app.register(httpProxy, {
    prefix: '/api/audio',
    upstream: options.uploaderUrl,
    undici: createUpstreamDispatcher(options.uploaderUrl, upstreamPoolOptions(options.upstreamKeepAliveTimeoutMs)),
    rewritePrefix: '/api/audio',
    disableRequestLogging: true,
    replyOptions: upstreamReplyOptions('uploader'),
  });
}
