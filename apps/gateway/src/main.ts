import { createTokenVerifier } from '@earshot/auth';
import { loggerOptions, onShutdown } from '@earshot/http';
import { buildApp } from './app';
import { loadConfig } from './config';
import { createRateLimitRedis } from './rate-limit-redis';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const redis = createRateLimitRedis(config.redisUrl);
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
