import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCode } from '@earshot/contracts';
import { fastifyErrorCode, PROBLEM_CONTENT_TYPE, problemBody, sendProblem } from './problem';

/** What Node's HTTP parser reports on a 'clientError' (llhttp codes, or ERR_HTTP_REQUEST_TIMEOUT). */
export interface ClientError extends Error {
  code?: string;
  /** The packet being parsed when parsing failed (a Buffer), and how far into it the parser got. */
  rawPacket?: unknown;
  bytesParsed?: number;
}

/** The request line alone: a method token, a space, then no line end before the parser gave up. */
const REQUEST_LINE_START = /^[A-Z]{3,10} /;

/**
 * The problem for a request Node refused before any handler ran. Node counts the URL in its header-size
 * limit, so an over-long request line is told apart from over-long headers by what the parser had read.
 */
export function clientErrorCode(error: ClientError): ErrorCode {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return 'REQUEST_TIMEOUT';
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    const packet = Buffer.isBuffer(error.rawPacket) ? error.rawPacket : Buffer.alloc(0);
    const parsed = packet.subarray(0, error.bytesParsed ?? packet.length).toString('latin1');
    return REQUEST_LINE_START.test(parsed) && !parsed.includes('\n') ? 'URI_TOO_LONG' : 'HEADERS_TOO_LARGE';
  }
  return 'VALIDATION';
}

const DETAILS: Partial<Record<ErrorCode, string>> = {
  REQUEST_TIMEOUT: 'The request headers or body did not arrive in time',
  URI_TOO_LONG: 'The request line or a path segment exceeds the size limit',
  HEADERS_TOO_LARGE: 'The request line and headers exceed the size limit',
  VALIDATION: 'The request is not valid HTTP, or its path is malformed',
};

/**
 * Fastify's `clientErrorHandler`: what Node's parser refuses (bad request line, bad Content-Length or
 * chunked framing, oversized headers, header or request timeouts) gets an RFC 7807 problem like every other
 * error, then the connection is closed: after a framing error nothing more on it can be trusted.
 */
export function answerClientError(error: ClientError, socket: Socket): void {
  // A reset connection has nobody left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  // A response already under way on this connection must not get a second one spliced into it.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !inFlight?.headersSent) {
    const code = clientErrorCode(error);
    const body = JSON.stringify(problemBody(code, DETAILS[code]));
    const { status } = problemBody(code);
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
        `Content-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/**
 * Fastify's `frameworkErrors`: what its router refuses before any hook (a malformed percent-escape, a path
 * parameter over `maxParamLength`) as problems; anything else there is an internal error that says nothing.
 */
export function answerFrameworkError(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  // The detail does not echo the path: it may be many kilobytes long.
  const code = fastifyErrorCode(error.code);
  void sendProblem(reply, code ?? 'INTERNAL', code ? DETAILS[code] : undefined);
}
