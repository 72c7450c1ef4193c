import type { Server } from 'node:http';
import type { FastifyHttpOptions } from 'fastify';
import { answerClientError, answerFrameworkError } from './client-error';

/** Limits of a service's HTTP server, from its config (libs/config `HttpServerEnvSchema`). */
export interface HttpServerTimeouts {
  /** Request line and headers must arrive within this (Node `headersTimeout`). */
  headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this (Node `requestTimeout`). */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this (Node `keepAliveTimeout`). */
  keepAliveTimeoutMs: number;
}

/**
 * How often Node looks for requests past their header or request deadline. Its default (30 s) would let a
 * 10 s header limit run to 40 s; each check walks the open connections, which is cheap once a second.
 */
export const CONNECTIONS_CHECK_INTERVAL_MS = 1_000;

/**
 * The Fastify options every service's HTTP server is built with: its timeouts, and RFC 7807 answers for
 * what Node's parser or Fastify's router refuse before any handler runs.
 */
export function httpServerOptions(timeouts: HttpServerTimeouts) {
  return {
    requestTimeout: timeouts.requestTimeoutMs,
    keepAliveTimeout: timeouts.keepAliveTimeoutMs,
    http: {
      headersTimeout: timeouts.headersTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      connectionsCheckingInterval: CONNECTIONS_CHECK_INTERVAL_MS,
    },
    clientErrorHandler: answerClientError,
    frameworkErrors: answerFrameworkError,
  } satisfies FastifyHttpOptions<Server>;
}
