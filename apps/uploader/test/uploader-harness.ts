import type { FastifyInstance } from 'fastify';
import { signDevelopmentToken } from '@earshot/auth';
import { createTestDatabase, type AudioChunkRow, type TestDatabase } from '@earshot/db';
import { createRecordingPublisher } from '@earshot/events';
import { createS3Storage, type ObjectStorage } from '@earshot/storage';
import { startTestS3Server, TEST_REDIS_URL, uniquePrefix } from '@earshot/testing';
import { buildApp } from '../src/app';
import { loadConfig } from '../src/config';
import { createUploaderRuntime } from '../src/deps';

export interface UploaderHarness {
  baseUrl: string;
  app: FastifyInstance;
  db: TestDatabase;
  storage: ObjectStorage;
  /** Every audio_chunks row of a session, whatever its upload status. */
  chunkRows(sessionId: string): Promise<AudioChunkRow[]>;
  /** Everything the uploader published (its real publisher is replaced by this recorder). */
  published: ReturnType<typeof createRecordingPublisher>['events'];
  token(userId?: string, role?: 'candidate' | 'proctor' | 'admin', orgId?: string): Promise<string>;
  close(): Promise<void>;
}

/** The uploader on real Postgres (own database), Redis (own queue prefix) and S3 (own server), listening on a port. */
export async function startUploader(
  options: { maxChunkBytes?: number; secret?: string } = {},
): Promise<UploaderHarness> {
  const secret = options.secret ?? 'uploader-harness-secret';
  const bucket = 'uploader-harness';
  const [db, s3] = await Promise.all([createTestDatabase(), startTestS3Server()]);
  const config = loadConfig({
    DATABASE_URL: db.url,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: uniquePrefix('uploader'),
    JWT_SECRET: secret,
    S3_ENDPOINT: s3.endpoint,
    S3_BUCKET: bucket,
    MAX_CHUNK_BYTES: String(options.maxChunkBytes ?? 512 * 1024),
    // HARNESS_LOG=error npx jest ... shows the uploader's own log while debugging a test.
    LOG_LEVEL: process.env.HARNESS_LOG ?? 'silent',
  });
  const runtime = await createUploaderRuntime(config);
  const recorder = createRecordingPublisher();
  const app = await buildApp({ ...runtime.options, deps: { ...runtime.options.deps, events: recorder } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const storage = createS3Storage({ ...s3, bucket, forcePathStyle: true });
  return {
    baseUrl: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    app,
    db,
    storage,
    published: recorder.events,
    chunkRows: (sessionId) => runtime.options.deps.chunks.listBySession(sessionId),
    token: (userId = 'cand-1', role = 'candidate', orgId = 'org-1') =>
      signDevelopmentToken({ userId, role, orgId, secret }),
    async close() {
      await app.close();
      await runtime.close();
      storage.close();
      await Promise.all([db.drop(), s3.close()]);
    },
  };
}
