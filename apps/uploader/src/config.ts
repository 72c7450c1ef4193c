import {
  checkHttpServerEnv,
  CommonEnvSchema,
  Env,
  HttpServerEnvSchema,
  httpServerConfigFrom,
  jwtConfigFrom,
  JwtEnvSchema,
  parseEnv,
  s3ConfigFrom,
  Type,
  type Static,
} from '@earshot/config';

const UploaderEnvSchema = Type.Object({
  ...CommonEnvSchema,
  ...JwtEnvSchema,
  ...HttpServerEnvSchema,
  PORT: Env.port(3101),
  HOST: Env.string('127.0.0.1'),
  /** Largest accepted chunk. 30 s of 64 kb/s opus is about 240 KB; 10 MiB leaves room for high bitrates. */
  MAX_CHUNK_BYTES: Env.int(10 * 1024 * 1024, 1),
  /** A chunk upload silent this long is considered dead and its index may be claimed again. */
  CLAIM_STALE_MS: Env.int(120_000, 1_000),
  DATABASE_POOL_SIZE: Env.int(10, 1),
});

export function loadConfig(env: Record<string, string | undefined>) {
  const raw: Static<typeof UploaderEnvSchema> = parseEnv(UploaderEnvSchema, env, [checkHttpServerEnv]);
  return {
    http: { port: raw.PORT, host: raw.HOST, ...httpServerConfigFrom(raw) },
    logLevel: raw.LOG_LEVEL,
    database: { url: raw.DATABASE_URL, maxConnections: raw.DATABASE_POOL_SIZE },
    redis: { url: raw.REDIS_URL, queuePrefix: raw.QUEUE_PREFIX },
    auth: jwtConfigFrom(raw),
    s3: s3ConfigFrom(raw),
    limits: { maxChunkBytes: raw.MAX_CHUNK_BYTES, claimStaleMs: raw.CLAIM_STALE_MS },
  };
}

export type UploaderConfig = ReturnType<typeof loadConfig>;
