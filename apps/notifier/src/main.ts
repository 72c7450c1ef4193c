import { Redis } from 'ioredis';
import { createTokenVerifier } from '@earshot/auth';
import { loggerOptions, onShutdown } from '@earshot/http';
import { buildApp } from './app';
import { loadConfig } from './config';
import { createUploaderAuthorizer } from './uploader-authorizer';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const pub = new Redis(config.redisUrl);
  const sub = pub.duplicate();
  const app = await buildApp({
    verifyToken: createTokenVerifier(config.auth),
    http: config.http,
    subscribeLimit: config.subscribeLimit,
    authorizeSubscription: createUploaderAuthorizer({ uploaderUrl: config.uploaderUrl, timeoutMs: config.subscribeCheckTimeoutMs }),
    redis: { pub, sub },
    logger: loggerOptions(config.logLevel, config.service),
  });
  for (const client of [pub, sub]) client.on('error', (error: Error) => app.log.warn({ err: { message: error.message } }, 'redis error'));
  onShutdown(
    async () => {
      await app.close();
      await Promise.all([pub.quit(), sub.quit()]).catch(() => undefined);
    },
    (message) => app.log.info(message),
  );
  await app.listen({ host: config.host, port: config.port });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
