import type { FastifyServerOptions } from 'fastify';

/** Pino options every service uses: no tokens, cookies or bodies in logs (exam audio is personal data). */
export const loggerOptions = (level: string, service: string): FastifyServerOptions['logger'] => ({
  level,
  base: { service },
  redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]'], censor: '[redacted]' },
});
