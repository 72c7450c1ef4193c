import os from 'node:os';
import path from 'node:path';
import { createTestDatabase } from '@earshot/db';
import { TEST_REDIS_URL, uniquePrefix } from './redis';
import { startS3ServerProcess, startServiceProcess, type ServiceName, type ServiceProcess } from './service-process';

export interface StackOptions {
  /** Which services to start; the gateway always comes last. Default all four. */
  services?: ServiceName[];
  jwtSecret: string;
  bucket?: string;
  /** Extra environment per service (e.g. MAX_CHUNK_BYTES for the uploader). */
  env?: Partial<Record<ServiceName, Record<string, string>>>;
  nodeArgs?: string[];
}

export interface Stack {
  /** The gateway's URL when started, else the uploader's. */
  url: string;
  services: Partial<Record<ServiceName, ServiceProcess>>;
  s3: { endpoint: string; pid: number; accessKeyId: string; secretAccessKey: string; region: string; bucket: string };
  databaseUrl: string;
  queuePrefix: string;
  logDir: string;
  stop(): Promise<void>;
}

/**
 * The platform as separate OS processes on a database, queue prefix and S3 server of their own: what the
 * end-to-end tests and the benchmarks drive. Stops everything it started, even when starting fails half way.
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const wanted = new Set<ServiceName>(options.services ?? ['uploader', 'analyzer', 'notifier', 'gateway']);
  const [database, s3] = await Promise.all([createTestDatabase(), startS3ServerProcess()]);
  const bucket = options.bucket ?? 'earshot-test';
  const queuePrefix = uniquePrefix('stack');
  const logDir = path.join(os.tmpdir(), 'earshot-stack-logs', queuePrefix);
  const common = {
    DATABASE_URL: database.url,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: queuePrefix,
    JWT_SECRET: options.jwtSecret,
    S3_ENDPOINT: s3.endpoint,
    S3_BUCKET: bucket,
    S3_ACCESS_KEY_ID: 'S3RVER',
    S3_SECRET_ACCESS_KEY: 'S3RVER',
  };
  const services: Partial<Record<ServiceName, ServiceProcess>> = {};
  const stop = async () => {
    await Promise.all(Object.values(services).map((service) => service.stop()));
    await s3.stop();
    await database.drop();
  };
  const start = async (name: ServiceName, extra: Record<string, string> = {}) => {
    if (!wanted.has(name)) return;
    services[name] = await startServiceProcess(name, { ...common, ...extra, ...options.env?.[name] }, {
      logDir,
      timeoutMs: 60_000,
      ...(options.nodeArgs ? { nodeArgs: options.nodeArgs } : {}),
    });
  };
  try {
    // The uploader first (the notifier asks it who may subscribe), the gateway last.
    await Promise.all([start('uploader'), start('analyzer')]);
    await start('notifier', services.uploader ? { UPLOADER_URL: services.uploader.url } : {});
    await start('gateway', {
      ...(services.uploader ? { UPLOADER_URL: services.uploader.url } : {}),
      ...(services.notifier ? { NOTIFIER_URL: services.notifier.url } : {}),
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url: (services.gateway ?? services.uploader)?.url ?? '',
    services,
    s3: { endpoint: s3.endpoint, pid: s3.pid, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', region: 'us-east-1', bucket },
    databaseUrl: database.url,
    queuePrefix,
    logDir,
    stop,
  };
}
