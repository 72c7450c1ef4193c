import { monitorEventLoopDelay } from 'node:perf_hooks';
import Fastify, { type FastifyInstance } from 'fastify';
import { parseJobPayload, type JobName } from '@earshot/contracts';
import { healthPlugin, httpServerOptions, loggerOptions, problemPlugin, type HttpServerTimeouts, type ReadinessCheck } from '@earshot/http';
import { startWorkers, type JobHandler, type JobHandlers, type JobPolicy, type WorkerSet } from '@earshot/queue';
import type { AnalyzerDeps } from './ports';
import { PROCESSORS, recordFinalFailure } from './processors';

export interface AnalyzerOptions {
  deps: AnalyzerDeps;
  redisUrl: string;
  queuePrefix: string;
  /** Jobs this process runs (ANALYZER_STAGES), so each stage scales on its own. */
  stages: readonly JobName[];
  policyOverrides?: Partial<Record<JobName, Partial<JobPolicy>>>;
}

/** Starts one BullMQ worker per selected job. Tests import this. */
export function startAnalyzer(options: AnalyzerOptions): WorkerSet {
  const bind =
    <N extends JobName>(name: N): JobHandler<N> =>
    (payload, context) =>
      PROCESSORS[name](options.deps, payload, context);
  const handlers: JobHandlers = {};
  for (const name of options.stages) (handlers as Record<JobName, unknown>)[name] = bind(name);
  return startWorkers({
    redisUrl: options.redisUrl,
    prefix: options.queuePrefix,
    names: options.stages,
    handlers,
    parsePayload: parseJobPayload,
    ...(options.policyOverrides ? { policyOverrides: options.policyOverrides } : {}),
    onFinalFailure: (name, payload, error) => recordFinalFailure(options.deps, name, payload, error),
  });
}

/** Liveness/readiness endpoint of a worker process (Kubernetes probes). */
export async function buildHealthApp(checks: Record<string, ReadinessCheck>, http: HttpServerTimeouts, logLevel = 'info'): Promise<FastifyInstance> {
  const app = Fastify({ logger: loggerOptions(logLevel, 'analyzer') ?? false, ...httpServerOptions(http) });
  // Synchronous analysis blocks the event loop that renews BullMQ job locks (30 s lock, renewed every 15 s):
  // /health shows how long the loop has been blocked so operators see it long before a lock is lost.
  const delay = monitorEventLoopDelay({ resolution: 20 });
  delay.enable();
  app.addHook('onClose', async () => delay.disable());
  const ms = (nanoseconds: number) => Math.round(nanoseconds / 1e6);
  await app.register(problemPlugin);
  await app.register(healthPlugin, {
    service: 'analyzer',
    checks,
    details: () => {
      const memory = process.memoryUsage();
      return {
        eventLoopDelayMs: { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max) },
        // A leak shows as RSS or heap climbing with the jobs done (bench/analyzer-memory.bench.ts samples these).
        memoryBytes: { rss: memory.rss, heapUsed: memory.heapUsed, external: memory.external, arrayBuffers: memory.arrayBuffers },
      };
    },
  });
  return app;
}
