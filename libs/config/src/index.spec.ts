import { checkHttpServerEnv, ConfigError, Env, HttpServerEnvSchema, JwtEnvSchema, parseEnv, Type } from './index';

const schema = Type.Object({ PORT: Env.port(3000), NAME: Env.string(), ON: Env.bool(false), JWT_SECRET: Env.string() });

describe('parseEnv', () => {
  it('applies defaults and coerces strings', () => {
    expect(parseEnv(schema, { NAME: 'x', ON: 'true', JWT_SECRET: 's', OTHER: 'ignored' })).toEqual({
      PORT: 3000,
      NAME: 'x',
      ON: true,
      JWT_SECRET: 's',
    });
  });

  it('lists every bad key at once and hides secrets', () => {
    let error: unknown;
    try {
      parseEnv(schema, { PORT: 'abc', ON: 'maybe', JWT_SECRET: '' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const text = (error as ConfigError).problems.join('\n');
    expect(text).toMatch(/^PORT/m);
    expect(text).toMatch(/^NAME: .*missing/m);
    expect(text).toMatch(/^ON/m);
    expect(text).not.toContain('maybe"x');
  });
});

describe('cross-key checks', () => {
  const http = Type.Object(HttpServerEnvSchema);

  it('run once every key is valid, and their problems are listed like the others', () => {
    expect(parseEnv(http, {}, [checkHttpServerEnv])).toEqual({ HTTP_HEADERS_TIMEOUT_MS: 10_000, HTTP_REQUEST_TIMEOUT_MS: 120_000, HTTP_KEEP_ALIVE_TIMEOUT_MS: 65_000 });
    expect(() => parseEnv(http, { HTTP_HEADERS_TIMEOUT_MS: '5000', HTTP_REQUEST_TIMEOUT_MS: '1000' }, [checkHttpServerEnv])).toThrow(
      /HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_REQUEST_TIMEOUT_MS \(5000 > 1000\)/,
    );
  });
});

describe('keys required in production', () => {
  const jwt = Type.Object({ PORT: Env.port(3000), ...JwtEnvSchema });
  const problemsOf = (env: Record<string, string>): string[] => {
    try {
      parseEnv(jwt, env);
      return [];
    } catch (error) {
      return (error as ConfigError).problems;
    }
  };

  it('may be left out in development', () => {
    expect(problemsOf({})).toEqual([]);
    expect(problemsOf({ NODE_ENV: 'development' })).toEqual([]);
  });

  it('are listed as missing when NODE_ENV=production, with every other bad key', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual([
      'JWT_ISSUER: required when NODE_ENV=production (missing)',
      'JWT_AUDIENCE: required when NODE_ENV=production (missing)',
    ]);
    expect(problemsOf({ NODE_ENV: 'production', JWT_ISSUER: 'https://idp.example', PORT: 'x' })).toEqual([
      expect.stringMatching(/^PORT: /),
      'JWT_AUDIENCE: required when NODE_ENV=production (missing)',
    ]);
    expect(problemsOf({ NODE_ENV: 'production', JWT_ISSUER: 'https://idp.example', JWT_AUDIENCE: 'earshot' })).toEqual([]);
  });
});
