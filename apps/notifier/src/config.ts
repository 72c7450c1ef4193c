import { CommonEnvSchema, Env, parseEnv, Type, type Static } from '@earshot/config';

const { LOG_LEVEL, REDIS_URL, JWT_SECRET, JWT_JWKS_URL, JWT_ISSUER, JWT_AUDIENCE } = CommonEnvSchema;

export const NotifierEnvSchema = Type.Object({
  LOG_LEVEL,
  REDIS_URL,
  JWT_SECRET,
  JWT_JWKS_URL,
  JWT_ISSUER,
  JWT_AUDIENCE,
  PORT: Env.port(3103),
  HOST: Env.string('127.0.0.1'),
  /** Asked whether a caller may see a session (GET /api/audio/sessions/:id with the caller's own token). */
  UPLOADER_URL: Env.url('http://127.0.0.1:3101'),
  /** Time limit of that question; past it the subscription is refused as UNAVAILABLE. */
  SUBSCRIBE_CHECK_TIMEOUT_MS: Env.int(3_000, 100),
});

export interface NotifierConfig {
  service: 'notifier';
  logLevel: string;
  host: string;
  port: number;
  redisUrl: string;
  auth: { hs256Secret: string; jwksUrl?: string; issuer?: string; audience?: string };
  uploaderUrl: string;
  subscribeCheckTimeoutMs: number;
}

export function loadConfig(env: Record<string, string | undefined> = process.env): NotifierConfig {
  const raw: Static<typeof NotifierEnvSchema> = parseEnv(NotifierEnvSchema, env);
  return {
    service: 'notifier',
    logLevel: raw.LOG_LEVEL,
    host: raw.HOST,
    port: raw.PORT,
    redisUrl: raw.REDIS_URL,
    auth: { hs256Secret: raw.JWT_SECRET, jwksUrl: raw.JWT_JWKS_URL, issuer: raw.JWT_ISSUER, audience: raw.JWT_AUDIENCE },
    uploaderUrl: raw.UPLOADER_URL.replace(/\/+$/, ''),
    subscribeCheckTimeoutMs: raw.SUBSCRIBE_CHECK_TIMEOUT_MS,
  };
}
