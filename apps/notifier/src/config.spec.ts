import { ConfigError } from '@earshot/config';
import { loadConfig } from './config';

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    expect(loadConfig({})).toMatchObject({
      host: '127.0.0.1',
      port: 3103,
      uploaderUrl: 'http://127.0.0.1:3101',
      subscribeCheckTimeoutMs: 3_000,
      subscribeLimit: { perWindow: 20, windowMs: 10_000 },
      http: { headersTimeoutMs: 10_000, requestTimeoutMs: 120_000, keepAliveTimeoutMs: 65_000 },
    });
  });

  it('needs JWT_ISSUER and JWT_AUDIENCE in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_AUDIENCE: 'earshot' })).toThrow(/JWT_ISSUER: required when NODE_ENV=production/);
    expect(loadConfig({ NODE_ENV: 'production', JWT_ISSUER: 'https://idp.example', JWT_AUDIENCE: 'earshot' }).auth.audience).toBe('earshot');
  });

  it('coerces values and rejects bad ones', () => {
    expect(loadConfig({ PORT: '4000', UPLOADER_URL: 'http://uploader:3101/' })).toMatchObject({ port: 4000, uploaderUrl: 'http://uploader:3101' });
    expect(() => loadConfig({ PORT: '-1', UPLOADER_URL: 'uploader' })).toThrow(ConfigError);
    expect(() => loadConfig({ HTTP_KEEP_ALIVE_TIMEOUT_MS: 'soon' })).toThrow(/HTTP_KEEP_ALIVE_TIMEOUT_MS/);
  });
});
