import { onShutdown } from '@earshot/http';
import { loadConfig } from './config';
import { createAnalyzerRuntime } from './deps';
import { buildHealthApp, startAnalyzer } from './worker';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const runtime = await createAnalyzerRuntime(config);
  const health = await buildHealthApp(runtime.readiness, config.http, config.logLevel);
  for (const notice of runtime.notices) health.log.warn({ notice }, 'reduced analysis');
  const workers = startAnalyzer({ deps: runtime.deps, redisUrl: config.redis.url, queuePrefix: config.redis.queuePrefix, stages: config.stages });
  // Only processes that run the sweep create its scheduler; the upsert keeps exactly one in Redis.
  if (config.stages.includes('session.sweep')) await runtime.scheduleSweep();
  health.log.info({ stages: config.stages }, 'analyzer workers started');
  onShutdown(async () => {
    await workers.close(); // stop taking jobs, let running ones finish
    await health.close();
    await runtime.close();
  }, (message) => health.log.info(message));
  await health.listen({ port: config.http.port, host: config.http.host });
}

main().catch((error: unknown) => {
  process.stderr.write(`analyzer failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
