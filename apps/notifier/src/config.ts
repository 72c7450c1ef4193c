import {
  checkHttpServerEnv,
  CommonEnvSchema,
  Env,
  HttpServerEnvSchema,
  httpServerConfigFrom,
  jwtConfigFrom,
  JwtEnvSchema,
  parseEnv,
  Type,
  type Static,
} from '@earshot/config';

const { LOG_LEVEL, REDIS_URL } = CommonEnvSchema;

export const NotifierEnvSchema = Type.Object({
  LOG_LEVEL,
  REDIS_URL,
  ...JwtEnvSchema,
  ...HttpServerEnvSchema,
  PORT: Env.port(3103),
  HOST: Env.string('127.0.0.1'),
  /** Asked whether a caller may see a session (GET /api/audio/sessions/:id/access with the caller's own token). */
  UPLOADER_URL: Env.url('http://127.0.0.1:3101'),
  /** Time limit of that question; past it the subscription is refused as UNAVAILABLE. */
  SUBSCRIBE_CHECK_TIMEOUT_MS: Env.int(3_000, 100),
  /**
   * Subscribes one socket may send per SUBSCRIBE_RATE_WINDOW_MS; beyond, RATE_LIMITED without asking the
   * uploader, and at three times as many the socket is disconnected. A dashboard following a few sessions
   * and resubscribing after a reconnect stays far below 20 per 10 s.
   */
  SUBSCRIBE_RATE_LIMIT: Env.int(20, 1),
  SUBSCRIBE_RATE_WINDOW_MS: Env.int(10_000, 100),
});

export interface NotifierConfig {
  service: 'notifier';
  logLevel: string;
  host: string;
  port: number;
  redisUrl: string;
  auth: { hs256Secret: string; jwksUrl?: string; issuer?: string; audience?: string };
  http: ReturnType<typeof httpServerConfigFrom>;
  uploaderUrl: string;
  subscribeCheckTimeoutMs: number;
  subscribeLimit: { perWindow: number; windowMs: number };
}

export function loadConfig(env: Record<string, string | undefined> = process.env): NotifierConfig {
  const raw: Static<typeof NotifierEnvSchema> = parseEnv(NotifierEnvSchema, env, [checkHttpServerEnv]);
  return {
    service: 'notifier',
    logLevel: raw.LOG_LEVEL,
    host: raw.HOST,
    port: raw.PORT,
    redisUrl: raw.REDIS_URL,
    auth: jwtConfigFrom(raw),
    http: httpServerConfigFrom(raw),
    uploaderUrl: raw.UPLOADER_URL.replace(/\/+$/, ''),
    subscribeCheckTimeoutMs: raw.SUBSCRIBE_CHECK_TIMEOUT_MS,
    subscribeLimit: { perWindow: raw.SUBSCRIBE_RATE_LIMIT, windowMs: raw.SUBSCRIBE_RATE_WINDOW_MS },
  };
}
