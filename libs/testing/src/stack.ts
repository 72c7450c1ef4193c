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
  /** Use this database instead of creating (and dropping) one on the shared test PostgreSQL. */
  databaseUrl?: string;
  /** Use this Redis instead of TEST_REDIS_URL. */
  redisUrl?: string;
  /** Use this S3 server (e.g. a fault-injecting proxy in front of one) instead of starting one; the caller stops it. */
  s3?: { endpoint: string; pid: number };
}

export interface Stack {
  /** The gateway's URL when started, else the uploader's. */
  url: string;
  services: Partial<Record<ServiceName, ServiceProcess>>;
  s3: { endpoint: string; pid: number; accessKeyId: string; secretAccessKey: string; region: string; bucket: string };
  databaseUrl: string;
  queuePrefix: string;
  logDir: string;
  /**
   * Stops one service (SIGTERM with the usual grace, or SIGKILL at once) and starts it again with the same
   * environment on the same port, so the services that call it need no change.
   */
  restart(name: ServiceName, signal?: 'SIGTERM' | 'SIGKILL'): Promise<ServiceProcess>;
  stop(): Promise<void>;
}

/**
 * The platform as separate OS processes on a database, queue prefix and S3 server of their own: what the
 * end-to-end tests and the benchmarks drive. Stops everything it started, even when starting fails half way.
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const wanted = new Set<ServiceName>(options.services ?? ['uploader', 'analyzer', 'notifier', 'gateway']);
  const [database, s3] = await Promise.all([
    options.databaseUrl ? { url: options.databaseUrl, drop: async () => undefined } : createTestDatabase(),
    options.s3 ? { ...options.s3, stop: async () => undefined } : startS3ServerProcess(),
  ]);
  const bucket = options.bucket ?? 'earshot-test';
  const queuePrefix = uniquePrefix('stack');
  const logDir = path.join(os.tmpdir(), 'earshot-stack-logs', queuePrefix);
  const common = {
    DATABASE_URL: database.url,
    REDIS_URL: options.redisUrl ?? TEST_REDIS_URL,
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
  const envs: Partial<Record<ServiceName, Record<string, string>>> = {};
  const launch = async (name: ServiceName, port?: number) => {
    services[name] = await startServiceProcess(name, envs[name] ?? {}, {
      logDir,
      timeoutMs: 60_000,
      ...(port ? { port } : {}),
      ...(options.nodeArgs ? { nodeArgs: options.nodeArgs } : {}),
    });
    return services[name];
  };
  const start = async (name: ServiceName, extra: Record<string, string> = {}) => {
    if (!wanted.has(name)) return;
    envs[name] = { ...common, ...extra, ...options.env?.[name] };
    await launch(name);
  };
  const restart = async (name: ServiceName, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM') => {
    const running = services[name];
    if (!running) throw new Error(`${name} is not part of this stack`);
    await running.stop(10_000, signal);
    return launch(name, Number(new URL(running.url).port));
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
    restart,
    stop,
  };
}
