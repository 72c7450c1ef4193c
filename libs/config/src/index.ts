import { type Static, type TObject, type TSchema, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

export { Type };
export type { Static };

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

/** A rule across keys, run once every key is valid on its own: returns `KEY: problem` lines (none when fine). */
export type EnvCheck<T> = (values: T) => string[];

/**
 * Parses a flat environment (UPPER_SNAKE keys) against a TypeBox schema once at boot: applies defaults,
 * coerces strings to numbers/booleans, runs the cross-key checks, and throws one ConfigError listing every
 * bad key. Unknown variables are ignored; the returned object holds only the schema's keys.
 */
export function parseEnv<S extends TObject>(schema: S, env: Record<string, string | undefined>, checks: EnvCheck<Static<S>>[] = []): Static<S> {
  const picked: Record<string, unknown> = {};
  for (const key of Object.keys(schema.properties)) {
    const raw = env[key];
    if (raw !== undefined && raw !== '') picked[key] = raw;
  }
  const missingInProduction = productionProblems(schema, picked, env);
  const withDefaults = Value.Default(schema, picked);
  const converted = Value.Convert(schema, withDefaults);
  if (Value.Check(schema, converted)) {
    const problems = [...missingInProduction, ...checks.flatMap((check) => check(converted))];
    if (problems.length === 0) return converted;
    throw new ConfigError(problems);
  }
  const problems = [...Value.Errors(schema, converted)].map((error) => {
    const key = error.path.replace(/^\//, '') || '(root)';
    const value = (converted as Record<string, unknown>)[key];
    const shown = value === undefined ? 'missing' : isSecretKey(key) ? 'given (hidden)' : JSON.stringify(value);
    return `${key}: ${error.message} (${shown})`;
  });
  throw new ConfigError([...new Set([...problems, ...missingInProduction])]);
}

/** Schema keyword of keys that may be left out in development but must be set when NODE_ENV=production. */
const REQUIRED_IN_PRODUCTION = 'requiredInProduction';

/** Keys marked `requiredInProduction` and not given, when the environment says NODE_ENV=production. */
function productionProblems(schema: TObject, picked: Record<string, unknown>, env: Record<string, string | undefined>): string[] {
  if (env.NODE_ENV !== 'production') return [];
  return Object.entries(schema.properties)
    .filter(([key, property]) => (property as Record<string, unknown>)[REQUIRED_IN_PRODUCTION] === true && picked[key] === undefined)
    .map(([key]) => `${key}: required when NODE_ENV=production (missing)`);
}

const isSecretKey = (key: string): boolean => /SECRET|PASSWORD|KEY|TOKEN/.test(key);

/** Building blocks shared by services' config schemas. */
export const Env = {
  port: (defaultPort: number) => Type.Integer({ minimum: 0, maximum: 65535, default: defaultPort }),
  url: (defaultUrl?: string) =>
    defaultUrl === undefined ? Type.String({ pattern: '^[a-z+]+://' }) : Type.String({ pattern: '^[a-z+]+://', default: defaultUrl }),
  string: (defaultValue?: string) => (defaultValue === undefined ? Type.String({ minLength: 1 }) : Type.String({ default: defaultValue })),
  optionalString: () => Type.Optional(Type.String({ minLength: 1 })),
  /** Optional in development, required when NODE_ENV=production (parseEnv lists it as missing). */
  requiredInProduction: () => Type.Optional(Type.String({ minLength: 1, [REQUIRED_IN_PRODUCTION]: true })),
  int: (defaultValue: number, minimum = 0) => Type.Integer({ minimum, default: defaultValue }),
  bool: (defaultValue: boolean) => Type.Boolean({ default: defaultValue }),
  logLevel: () =>
    Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)), { default: 'info' }),
  list: (defaultValue: string) => Type.String({ default: defaultValue }),
} satisfies Record<string, (...args: never[]) => TSchema>;

export const splitList = (value: string): string[] =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

/**
 * Bearer-token verification: HS256 with a shared secret (development default), or a JWKS in production.
 * In production every token must name who issued it and for whom (`iss`, `aud`), so a token another
 * service of the same identity provider obtained is not accepted here.
 */
export const JwtEnvSchema = {
  JWT_SECRET: Env.string('earshot-development-secret-change-me'),
  JWT_JWKS_URL: Env.optionalString(),
  JWT_ISSUER: Env.requiredInProduction(),
  JWT_AUDIENCE: Env.requiredInProduction(),
};

export const jwtConfigFrom = (raw: { JWT_SECRET: string; JWT_JWKS_URL?: string; JWT_ISSUER?: string; JWT_AUDIENCE?: string }) => ({
  hs256Secret: raw.JWT_SECRET,
  jwksUrl: raw.JWT_JWKS_URL,
  issuer: raw.JWT_ISSUER,
  audience: raw.JWT_AUDIENCE,
});

/**
 * Limits of every service's HTTP server (docs/operations.md, "HTTP timeouts"). Each must be long enough for
 * an honest client on a poor link and short enough that half-open or trickling connections do not pile up.
 */
export const HttpServerEnvSchema = {
  /** Request line and headers must arrive within this; else 408 and the connection is closed. */
  HTTP_HEADERS_TIMEOUT_MS: Env.int(10_000, 100),
  /**
   * The whole request, body included, must arrive within this; else 408 and the connection is closed.
   * Rule: the largest chunk (MAX_CHUNK_BYTES, 10 MiB, plus multipart framing) must still arrive from a
   * 0.75 Mbit/s mobile uplink: 10.5 MiB × 8 / 0.75 Mbit/s ≈ 117 s. A real 30 s opus chunk (~240 KB) needs
   * only 16 kbit/s for it.
   */
  HTTP_REQUEST_TIMEOUT_MS: Env.int(120_000, 100),
  /**
   * An idle keep-alive connection is closed after this. 65 s outlives the 60 s idle timeout of common
   * load balancers, so a balancer never sends on a connection the service has just closed.
   */
  HTTP_KEEP_ALIVE_TIMEOUT_MS: Env.int(65_000, 100),
};

type HttpServerEnv = { HTTP_HEADERS_TIMEOUT_MS: number; HTTP_REQUEST_TIMEOUT_MS: number; HTTP_KEEP_ALIVE_TIMEOUT_MS: number };

/** Node refuses a header limit above the request limit (the headers are part of the request). */
export const checkHttpServerEnv: EnvCheck<HttpServerEnv> = (raw) =>
  raw.HTTP_HEADERS_TIMEOUT_MS > raw.HTTP_REQUEST_TIMEOUT_MS
    ? [`HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_REQUEST_TIMEOUT_MS (${raw.HTTP_HEADERS_TIMEOUT_MS} > ${raw.HTTP_REQUEST_TIMEOUT_MS})`]
    : [];

export const httpServerConfigFrom = (raw: HttpServerEnv) => ({
  headersTimeoutMs: raw.HTTP_HEADERS_TIMEOUT_MS,
  requestTimeoutMs: raw.HTTP_REQUEST_TIMEOUT_MS,
  keepAliveTimeoutMs: raw.HTTP_KEEP_ALIVE_TIMEOUT_MS,
});

/** Object storage: AWS S3 when S3_ENDPOINT is unset, else any S3-compatible server (MinIO, s3rver). */
export const S3EnvSchema = {
  S3_ENDPOINT: Env.optionalString(),
  S3_REGION: Env.string('us-east-1'),
  S3_BUCKET: Env.string('earshot-audio'),
  S3_ACCESS_KEY_ID: Env.string('S3RVER'),
  S3_SECRET_ACCESS_KEY: Env.string('S3RVER'),
  S3_FORCE_PATH_STYLE: Env.bool(true),
};

export const s3ConfigFrom = (raw: {
  S3_ENDPOINT?: string;
  S3_REGION: string;
  S3_BUCKET: string;
  S3_ACCESS_KEY_ID: string;
  S3_SECRET_ACCESS_KEY: string;
  S3_FORCE_PATH_STYLE: boolean;
}) => ({
  endpoint: raw.S3_ENDPOINT,
  region: raw.S3_REGION,
  bucket: raw.S3_BUCKET,
  accessKeyId: raw.S3_ACCESS_KEY_ID,
  secretAccessKey: raw.S3_SECRET_ACCESS_KEY,
  forcePathStyle: raw.S3_FORCE_PATH_STYLE,
});

/** Shared pieces of every service's config, parsed by the same rules. Services that verify tokens add JwtEnvSchema. */
export const CommonEnvSchema = {
  LOG_LEVEL: Env.logLevel(),
  DATABASE_URL: Env.url('postgres://postgres@127.0.0.1:5432/earshot'),
  REDIS_URL: Env.url('redis://127.0.0.1:6379'),
  /** Prefix of every BullMQ key; lets several deployments (or tests) share one Redis. */
  QUEUE_PREFIX: Env.string('earshot'),
  ...S3EnvSchema,
};
