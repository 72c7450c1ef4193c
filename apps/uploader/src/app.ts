import multipart from '@fastify/multipart';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import type { TokenVerifier } from '@earshot/auth';
import {
  authPlugin,
  healthPlugin,
  httpServerOptions,
  jsonBodyPlugin,
  loggerOptions,
  problemPlugin,
  typeBoxValidatorCompiler,
  type HttpServerTimeouts,
  type ReadinessCheck,
} from '@earshot/http';
import type { SessionDeps } from './sessions/ports';
import { sessionsRoutes } from './sessions/sessions.routes';

export interface UploaderAppOptions {
  deps: SessionDeps;
  verifyToken: TokenVerifier;
  /** Header, request and keep-alive limits of the HTTP server. */
  http: HttpServerTimeouts;
  readiness: Record<string, ReadinessCheck>;
  logLevel?: string;
}

/** Deepest JSON accepted (session metadata is a flat record in practice; 32 leaves room and stays far from stack limits). */
const MAX_JSON_DEPTH = 32;

/** The uploader as one Fastify plugin tree: infrastructure, then services, then routes. Tests import this. */
export async function buildApp(options: UploaderAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: loggerOptions(options.logLevel ?? 'info', 'uploader') ?? false,
    bodyLimit: 64 * 1024,
    trustProxy: true,
    ...httpServerOptions(options.http),
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(typeBoxValidatorCompiler);

  await app.register(problemPlugin);
  await app.register(jsonBodyPlugin, { maxDepth: MAX_JSON_DEPTH });
  await app.register(multipart, {
    // Busboy stops reading one byte past the limit; appendChunk's meter turns that into a 413 and deletes
    // what was stored (the plugin's default limit of 1 MiB would otherwise truncate silently).
    limits: { fileSize: options.deps.limits.maxChunkBytes + 1, files: 1, fields: 10, fieldSize: 1024, parts: 12 },
  });
  await app.register(healthPlugin, { service: 'uploader', checks: options.readiness });
  await app.register(authPlugin, { verifyToken: options.verifyToken });
  await app.register(sessionsRoutes, { deps: options.deps });
  return app;
}
