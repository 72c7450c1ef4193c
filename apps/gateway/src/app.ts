import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Redis } from 'ioredis';
import type { TokenVerifier } from '@earshot/auth';
import { authPlugin, healthPlugin, problemPlugin, problemServerOptions } from '@earshot/http';
import { apiRoutes } from './api.routes';
import type { GatewayConfig } from './config';
import { socketRoutes } from './socket.routes';
import { probeHealth } from './upstream';

export interface GatewayDeps {
  config: Pick<GatewayConfig, 'upstreams' | 'rateLimit' | 'staticDir'>;
  verifyToken: TokenVerifier;
  /** Rate-limit counters; owned by the caller (main closes it). */
  redis: Redis;
  logger?: FastifyServerOptions['logger'];
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The public edge: authenticates, rate-limits and routes. No business rules live here. */
export async function buildApp(deps: GatewayDeps): Promise<FastifyInstance> {
  const { upstreams, rateLimit, staticDir } = deps.config;
  const app = Fastify({
    logger: deps.logger ?? false,
    // One access line per request (below) instead of Fastify's two: at hundreds of uploads a second,
    // logging was a third of the gateway's CPU.
    disableRequestLogging: true,
    // Keep a caller's correlation id when it is a plain token; it is forwarded to the upstreams.
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : crypto.randomUUID();
    },
    // Requests Node's HTTP parser or the router reject get problem+json like every other error.
    ...problemServerOptions,
  });

  // Infrastructure
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      { method: request.method, path: request.url.split('?')[0], status: reply.statusCode, durationMs: Math.round(reply.elapsedTime) },
      'request',
    );
  });
  await app.register(problemPlugin);
  await app.register(authPlugin, { verifyToken: deps.verifyToken });
  await app.register(healthPlugin, {
    service: 'gateway',
    checks: {
      redis: () => deps.redis.ping(),
      uploader: () => probeHealth(upstreams.uploaderUrl),
      notifier: () => probeHealth(upstreams.notifierUrl),
    },
  });

  // Routes
  await app.register(apiRoutes, {
    uploaderUrl: upstreams.uploaderUrl,
    redis: deps.redis,
    uploadsPerMinute: rateLimit.uploadsPerMinute,
    apiPerMinute: rateLimit.apiPerMinute,
  });
  await app.register(socketRoutes, { notifierUrl: upstreams.notifierUrl });

  // The exam page (static files), when a folder is configured.
  if (staticDir) {
    const root = resolve(staticDir);
    if (existsSync(root)) await app.register(fastifyStatic, { root, prefix: '/', index: ['index.html'] });
    else app.log.warn({ staticDir: root }, 'STATIC_DIR does not exist; serving no static files');
  }

  return app;
}
