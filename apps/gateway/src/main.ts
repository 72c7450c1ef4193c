import { Redis } from 'ioredis';
import { createTokenVerifier } from '@earshot/auth';
import { loggerOptions, onShutdown } from '@earshot/http';
import { buildApp } from './app';
import { loadConfig } from './config';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  // Bounded retries: a Redis outage skips rate limiting instead of stalling requests.
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 1, commandTimeout: 1_000 });
  redis.on('error', () => undefined);
  const app = await buildApp({
    config,
    redis,
    verifyToken: createTokenVerifier(config.auth),
    logger: loggerOptions(config.logLevel, config.service),
  });
  onShutdown(
    async () => {
      await app.close();
      await redis.quit().catch(() => undefined);
    },
    (message) => app.log.info(message),
  );
  await app.listen({ host: config.host, port: config.port });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
