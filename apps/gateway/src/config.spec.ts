import { ConfigError } from '@earshot/config';
import { loadConfig } from './config';

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 3000,
      upstreams: { uploaderUrl: 'http://127.0.0.1:3101', notifierUrl: 'http://127.0.0.1:3103' },
      rateLimit: { uploadsPerMinute: 60, apiPerMinute: 600 },
      http: { headersTimeoutMs: 10_000, requestTimeoutMs: 120_000, keepAliveTimeoutMs: 65_000 },
    });
    // The gateway lets go of an idle upstream connection before the upstream (65 s by default) does.
    expect(config.upstreams.keepAliveTimeoutMs).toBeLessThan(config.http.keepAliveTimeoutMs);
    expect(config.staticDir).toBeUndefined();
  });

  it('coerces numbers and trims trailing slashes from upstream URLs', () => {
    const config = loadConfig({ PORT: '8080', RATE_LIMIT_UPLOADS_PER_MINUTE: '5', UPLOADER_URL: 'http://uploader:3101/', STATIC_DIR: 'web/dist' });
    expect(config).toMatchObject({ port: 8080, rateLimit: { uploadsPerMinute: 5 }, upstreams: { uploaderUrl: 'http://uploader:3101' }, staticDir: 'web/dist' });
  });

  it('reads the CORS allowlist, empty by default, and refuses entries that are not origins', () => {
    expect(loadConfig({}).cors).toEqual({ origins: [] });
    expect(loadConfig({ CORS_ORIGINS: 'https://exam.example, http://127.0.0.1:5173' }).cors).toEqual({ origins: ['https://exam.example', 'http://127.0.0.1:5173'] });
    for (const bad of ['*', 'https://exam.example/', 'https://exam.example/page', 'exam.example', 'ftp://exam.example', 'https://EXAM.example']) {
      expect(() => loadConfig({ CORS_ORIGINS: `https://ok.example,${bad}` })).toThrow(/CORS_ORIGINS: each entry must be an origin/);
    }
  });

  it('needs JWT_ISSUER and JWT_AUDIENCE in production, naming both when missing', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_ISSUER: required when NODE_ENV=production[\s\S]*JWT_AUDIENCE: required when NODE_ENV=production/);
    expect(loadConfig({ NODE_ENV: 'production', JWT_ISSUER: 'https://idp.example', JWT_AUDIENCE: 'earshot' }).auth).toMatchObject({
      issuer: 'https://idp.example',
      audience: 'earshot',
    });
    expect(loadConfig({}).auth).toMatchObject({ issuer: undefined, audience: undefined });
  });

  it('refuses a header timeout longer than the request timeout', () => {
    expect(() => loadConfig({ HTTP_HEADERS_TIMEOUT_MS: '30000', HTTP_REQUEST_TIMEOUT_MS: '20000' })).toThrow(/HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_REQUEST_TIMEOUT_MS/);
  });

  it('lists every bad key at once', () => {
    expect(() => loadConfig({ PORT: 'abc', RATE_LIMIT_UPLOADS_PER_MINUTE: '0', NOTIFIER_URL: 'notifier:3103' })).toThrow(ConfigError);
    try {
      loadConfig({ PORT: 'abc', RATE_LIMIT_UPLOADS_PER_MINUTE: '0', NOTIFIER_URL: 'notifier:3103' });
    } catch (error) {
      const keys = (error as ConfigError).problems.map((problem) => problem.split(':')[0]);
      expect(keys).toEqual(expect.arrayContaining(['PORT', 'RATE_LIMIT_UPLOADS_PER_MINUTE', 'NOTIFIER_URL']));
    }
  });
});
