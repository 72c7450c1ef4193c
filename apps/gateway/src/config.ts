import { CommonEnvSchema, Env, jwtConfigFrom, JwtEnvSchema, parseEnv, Type, type Static } from '@earshot/config';

const { LOG_LEVEL, REDIS_URL } = CommonEnvSchema;

export const GatewayEnvSchema = Type.Object({
  LOG_LEVEL,
  REDIS_URL,
  ...JwtEnvSchema,
  PORT: Env.port(3000),
  HOST: Env.string('127.0.0.1'),
  UPLOADER_URL: Env.url('http://127.0.0.1:3101'),
  NOTIFIER_URL: Env.url('http://127.0.0.1:3103'),
  /** Chunk uploads per user per minute (a candidate sends one every 30 s; retries need headroom). */
  RATE_LIMIT_UPLOADS_PER_MINUTE: Env.int(60, 1),
  /** Every other /api request per user per minute. */
  RATE_LIMIT_API_PER_MINUTE: Env.int(600, 1),
  /** Optional folder served at `/` (the exam page); ignored when unset. */
  STATIC_DIR: Env.optionalString(),
});

export interface GatewayConfig {
  service: 'gateway';
  logLevel: string;
  host: string;
  port: number;
  redisUrl: string;
  auth: { hs256Secret: string; jwksUrl?: string; issuer?: string; audience?: string };
  upstreams: { uploaderUrl: string; notifierUrl: string };
  rateLimit: { uploadsPerMinute: number; apiPerMinute: number };
  staticDir?: string;
}

export function loadConfig(env: Record<string, string | undefined> = process.env): GatewayConfig {
  const raw: Static<typeof GatewayEnvSchema> = parseEnv(GatewayEnvSchema, env);
  return {
    service: 'gateway',
    logLevel: raw.LOG_LEVEL,
    host: raw.HOST,
    port: raw.PORT,
    redisUrl: raw.REDIS_URL,
    auth: jwtConfigFrom(raw),
    upstreams: { uploaderUrl: raw.UPLOADER_URL.replace(/\/+$/, ''), notifierUrl: raw.NOTIFIER_URL.replace(/\/+$/, '') },
    rateLimit: { uploadsPerMinute: raw.RATE_LIMIT_UPLOADS_PER_MINUTE, apiPerMinute: raw.RATE_LIMIT_API_PER_MINUTE },
    staticDir: raw.STATIC_DIR,
  };
}
