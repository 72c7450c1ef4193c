import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { sendProblem } from './problem';

export type ReadinessCheck = () => Promise<unknown>;

export interface HealthOptions {
  service: string;
  /** Named dependency probes for /ready, e.g. { postgres: db.ping, redis: ..., s3: storage.ping }. */
  checks: Record<string, ReadinessCheck>;
  /** Per-check time limit. Default 2000 ms. */
  checkTimeoutMs?: number;
  /** Extra figures for /health (e.g. event-loop delay of a worker process). */
  details?: () => Record<string, unknown>;
}

/** GET /health: the process is alive. GET /ready: every dependency answered; 503 problem otherwise. */
export const healthPlugin = fp(async (app: FastifyInstance, options: HealthOptions) => {
  const timeoutMs = options.checkTimeoutMs ?? 2_000;
  app.get('/health', { logLevel: 'warn' }, async () => ({ status: 'ok', service: options.service, ...options.details?.() }));
  app.get('/ready', { logLevel: 'warn' }, async (_request, reply) => {
    const entries = await Promise.all(
      Object.entries(options.checks).map(async ([name, check]) => {
        try {
          await Promise.race([
            check(),
            new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs).unref()),
          ]);
          return [name, 'ok'] as const;
        } catch {
          return [name, 'unavailable'] as const;
        }
      }),
    );
    const checks = Object.fromEntries(entries);
    if (entries.every(([, state]) => state === 'ok')) return { status: 'ready', service: options.service, checks };
    return sendProblem(reply, 'UNAVAILABLE', 'A dependency is unavailable', { service: options.service, checks });
  });
});
