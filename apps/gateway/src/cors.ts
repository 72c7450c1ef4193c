import type { FastifyCorsOptions } from '@fastify/cors';

/** Request headers an exam page may send cross-origin (the bearer token, JSON bodies, a correlation id). */
const ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'X-Request-Id'];
/** Response headers it may read: when to retry a 429, where a created resource is. */
const EXPOSED_HEADERS = ['Retry-After', 'Location'];
/** How long a browser may reuse a preflight answer: a page uploading a chunk every 30 s sends one per 10 min. */
export const CORS_PREFLIGHT_MAX_AGE_SEC = 600;

/**
 * CORS for the pages at `origins` (exact `scheme://host[:port]` strings; none: no cross-origin access).
 * Preflights are answered in an onRequest hook registered before authentication, so they need no token.
 * A request from any other origin (or none) is treated as if CORS did not exist: no CORS headers, and its
 * preflight goes on to authentication like any request. Bearer tokens, not cookies: no credentials mode.
 */
export function corsOptions(origins: readonly string[]): FastifyCorsOptions {
  const allowed = new Set(origins);
  return {
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin) ? origin : false),
    methods: ['GET', 'HEAD', 'POST'],
    allowedHeaders: ALLOWED_HEADERS,
    exposedHeaders: EXPOSED_HEADERS,
    credentials: false,
    maxAge: CORS_PREFLIGHT_MAX_AGE_SEC,
    // An OPTIONS request without Access-Control-Request-Method from an allowed origin gets the same 204
    // instead of @fastify/cors's plain-text 400.
    strictPreflight: false,
  };
}

/** True for an exact web origin (`https://exam.example`, `http://127.0.0.1:5173`): no path, no trailing slash. */
export function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
  } catch {
    return false;
  }
}
