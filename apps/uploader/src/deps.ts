import { Redis } from 'ioredis';
import { createTokenVerifier } from '@earshot/auth';
import { createChunksRepository, createDatabase, createSessionsRepository } from '@earshot/db';
import { createEventPublisher } from '@earshot/events';
import { createJobProducer } from '@earshot/queue';
import { createS3Storage } from '@earshot/storage';
import { createLiveSessionStore } from './adapters/live-session.store';
import type { UploaderConfig } from './config';
import type { UploaderAppOptions } from './app';

/** Builds every adapter from config. main.ts and the integration tests share it. */
export async function createUploaderRuntime(config: UploaderConfig) {
  const database = createDatabase({ url: config.database.url, maxConnections: config.database.maxConnections, applicationName: 'earshot-uploader' });
  const storage = createS3Storage(config.s3);
  await storage.ensureBucket();
  const producer = createJobProducer({ redisUrl: config.redis.url, prefix: config.redis.queuePrefix });
  const events = createEventPublisher({ redisUrl: config.redis.url });
  const redis = new Redis(config.redis.url, { maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);

  const options: UploaderAppOptions = {
    logLevel: config.logLevel,
    http: config.http,
    verifyToken: createTokenVerifier(config.auth),
    deps: {
      sessions: createSessionsRepository(database.db),
      chunks: createChunksRepository(database.db),
      storage,
      queue: producer,
      events,
      live: createLiveSessionStore(redis),
      limits: config.limits,
    },
    readiness: {
      postgres: () => database.ping(),
      redis: () => redis.ping(),
      s3: () => storage.ping(),
    },
  };
  return {
    options,
    async close() {
      await producer.close();
      await events.close();
      redis.disconnect();
      storage.close();
      await database.close();
    },
  };
}
