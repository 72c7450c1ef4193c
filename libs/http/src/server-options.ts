import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import type { ErrorCode } from '@earshot/contracts';
import { PROBLEM_CONTENT_TYPE, problemBody, sendProblem } from './problem';

/** Node's HTTP parser errors worth their own answer; every other malformed request is VALIDATION. */
const CLIENT_ERROR_CODES: Record<string, ErrorCode> = {
  HPE_HEADER_OVERFLOW: 'HEADERS_TOO_LARGE',
  ERR_HTTP_REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
};

/**
 * Answers requests Node's HTTP parser rejects before Fastify sees them (bad framing, bad header bytes, a body
 * shorter than its Content-Length, oversized headers) with a problem body, like every other error.
 */
export function problemClientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const code = (error.code && CLIENT_ERROR_CODES[error.code]) || 'VALIDATION';
    const problem = problemBody(code, 'The request is not well-formed HTTP');
    const body = JSON.stringify(problem);
    socket.write(
      `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status] ?? ''}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

/** Errors Fastify raises before routing (a URL that does not decode, an over-long path parameter). */
export function problemFrameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const detail =
    error.code === 'FST_ERR_BAD_URL' || error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'The URL is not valid' : undefined;
  if (detail) sendProblem(reply, 'VALIDATION', detail);
  else sendProblem(reply, 'INTERNAL');
}

/** Spread into `Fastify({...})` so requests that never reach a route still get problem+json answers. */
export const problemServerOptions = {
  clientErrorHandler: problemClientErrorHandler,
  frameworkErrors: problemFrameworkErrors,
} satisfies Pick<FastifyServerOptions, 'clientErrorHandler' | 'frameworkErrors'>;
