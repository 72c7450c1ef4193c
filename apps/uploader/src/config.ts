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
  /**
   * A chunk upload whose claim was not refreshed this long is dead and its index may be claimed again. A live
   * upload refreshes its claim every quarter of this while bytes flow, so it only has to exceed the idle cut-off.
   */
  CLAIM_STALE_MS: Env.int(60_000, 1_000),
  /** A chunk body that sends no byte for this long is cut off (408 UPLOAD_STALLED) and its index freed. */
  UPLOAD_IDLE_TIMEOUT_MS: Env.int(20_000, 100),
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
    limits: {
      maxChunkBytes: raw.MAX_CHUNK_BYTES,
      claimStaleMs: raw.CLAIM_STALE_MS,
      uploadIdleTimeoutMs: raw.UPLOAD_IDLE_TIMEOUT_MS,
    },
  };
}

export type UploaderConfig = ReturnType<typeof loadConfig>;
