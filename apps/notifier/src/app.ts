import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Redis } from 'ioredis';
import type { TokenVerifier } from '@earshot/auth';
import { healthPlugin, httpServerOptions, problemPlugin, type HttpServerTimeouts } from '@earshot/http';
import { attachSocketServer, type NotifierServer } from './socket-server';
import type { SubscribeLimit } from './subscribe-budget';
import type { AuthorizeSubscription } from './subscribe-to-session';

declare module 'fastify' {
  interface FastifyInstance {
    io: NotifierServer;
  }
}

export interface NotifierDeps {
  verifyToken: TokenVerifier;
  /** Header, request and keep-alive limits of the HTTP server socket.io shares. */
  http: HttpServerTimeouts;
  authorizeSubscription: AuthorizeSubscription;
  /** Subscribes each socket may send per window. */
  subscribeLimit: SubscribeLimit;
  /** Adapter clients (pub, sub); owned by the caller, which quits them after app.close(). */
  redis: { pub: Redis; sub: Redis };
  /** Pub/sub key shared with publishers; tests use their own. Default 'socket.io'. */
  adapterKey?: string;
  logger?: FastifyServerOptions['logger'];
}

/** Fastify gives /health and /ready; socket.io shares its HTTP server at /socket.io/. */
export async function buildApp(deps: NotifierDeps): Promise<FastifyInstance> {
  const app = Fastify({ logger: deps.logger ?? false, ...httpServerOptions(deps.http) });

  await app.register(problemPlugin);
  await app.register(healthPlugin, { service: 'notifier', checks: { redis: () => deps.redis.pub.ping() } });

  const io = attachSocketServer(app.server, {
    verifyToken: deps.verifyToken,
    authorizeSubscription: deps.authorizeSubscription,
    subscribeLimit: deps.subscribeLimit,
    redis: deps.redis,
    adapterKey: deps.adapterKey,
    log: app.log,
  });
  app.decorate('io', io);
  // Close the clients' connections first, then stop the adapter's subscriptions. Only the transport is closed:
  // a socket.io DISCONNECT packet (disconnectSockets) tells the client it was expelled and it never reconnects,
  // so every page would go deaf at each deploy. A closed transport makes it reconnect (to another instance).
  app.addHook('preClose', async () => {
    io.engine.close();
    await io.of('/').adapter.close();
  });

  return app;
}
