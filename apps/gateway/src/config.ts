import {
  checkHttpServerEnv,
  CommonEnvSchema,
  Env,
  HttpServerEnvSchema,
  httpServerConfigFrom,
  jwtConfigFrom,
  JwtEnvSchema,
  parseEnv,
  splitList,
  Type,
  type Static,
} from '@earshot/config';
import { isOrigin } from './cors';

const { LOG_LEVEL, REDIS_URL } = CommonEnvSchema;

export const GatewayEnvSchema = Type.Object({
  LOG_LEVEL,
  REDIS_URL,
  ...JwtEnvSchema,
  ...HttpServerEnvSchema,
  PORT: Env.port(3000),
  HOST: Env.string('127.0.0.1'),
  UPLOADER_URL: Env.url('http://127.0.0.1:3101'),
  NOTIFIER_URL: Env.url('http://127.0.0.1:3103'),
  /**
   * Idle connections to the uploader and notifier are closed after this. It must stay below their
   * HTTP_KEEP_ALIVE_TIMEOUT_MS (65 s), or the gateway may send on a connection the upstream is closing and
   * the request fails. undici also follows an upstream's `Keep-Alive: timeout` hint less 1 s, if shorter.
   */
  UPSTREAM_KEEP_ALIVE_TIMEOUT_MS: Env.int(60_000, 100),
  /** Chunk uploads per user per minute (a candidate sends one every 30 s; retries need headroom). */
  RATE_LIMIT_UPLOADS_PER_MINUTE: Env.int(60, 1),
  /** Every other /api request per user per minute. */
  RATE_LIMIT_API_PER_MINUTE: Env.int(600, 1),
  /**
   * Comma-separated origins of exam pages allowed to call the API and socket.io from another origin, each
   * exactly `scheme://host[:port]`. Empty: no cross-origin access (pages served by the gateway need none).
   */
  CORS_ORIGINS: Env.list(''),
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
  http: ReturnType<typeof httpServerConfigFrom>;
  upstreams: { uploaderUrl: string; notifierUrl: string; keepAliveTimeoutMs: number };
  rateLimit: { uploadsPerMinute: number; apiPerMinute: number };
  cors: { origins: string[] };
  staticDir?: string;
}

const checkCorsOrigins = (raw: { CORS_ORIGINS: string }): string[] => {
  const bad = splitList(raw.CORS_ORIGINS).filter((origin) => !isOrigin(origin));
  return bad.length ? [`CORS_ORIGINS: each entry must be an origin like https://exam.example, without path or trailing slash (${JSON.stringify(bad)})`] : [];
};

export function loadConfig(env: Record<string, string | undefined> = process.env): GatewayConfig {
  const raw: Static<typeof GatewayEnvSchema> = parseEnv(GatewayEnvSchema, env, [checkHttpServerEnv, checkCorsOrigins]);
  return {
    service: 'gateway',
    logLevel: raw.LOG_LEVEL,
    host: raw.HOST,
    port: raw.PORT,
    redisUrl: raw.REDIS_URL,
    auth: jwtConfigFrom(raw),
    http: httpServerConfigFrom(raw),
    upstreams: {
      uploaderUrl: raw.UPLOADER_URL.replace(/\/+$/, ''),
      notifierUrl: raw.NOTIFIER_URL.replace(/\/+$/, ''),
      keepAliveTimeoutMs: raw.UPSTREAM_KEEP_ALIVE_TIMEOUT_MS,
    },
    rateLimit: { uploadsPerMinute: raw.RATE_LIMIT_UPLOADS_PER_MINUTE, apiPerMinute: raw.RATE_LIMIT_API_PER_MINUTE },
    cors: { origins: splitList(raw.CORS_ORIGINS) },
    staticDir: raw.STATIC_DIR,
  };
}
