import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import fp from 'fastify-plugin';
import { ERRORS, isDomainError, type ErrorCode, type Problem } from '@earshot/contracts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export function problemBody(code: ErrorCode, detail?: string, extensions: Record<string, unknown> = {}): Problem {
  const { status, title } = ERRORS[code];
  return { type: `https://earshot.dev/problems/${code.toLowerCase().replace(/_/g, '-')}`, title, status, code, ...(detail ? { detail } : {}), ...extensions };
}

export function sendProblem(reply: FastifyReply, code: ErrorCode, detail?: string, extensions?: Record<string, unknown>): FastifyReply {
  const body = problemBody(code, detail, extensions);
  return reply.code(body.status).type(PROBLEM_CONTENT_TYPE).send(body);
}

/** Fastify's own error codes for bad input, mapped to ours. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_REQ_FILE_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_FILES_LIMIT: 'PAYLOAD_TOO_LARGE',
  FST_FIELDS_LIMIT: 'PAYLOAD_TOO_LARGE',
  FST_PARTS_LIMIT: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA',
  FST_INVALID_MULTIPART_CONTENT_TYPE: 'UNSUPPORTED_MEDIA',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'VALIDATION',
  FST_ERR_CTP_INVALID_JSON_BODY: 'VALIDATION',
  FST_ERR_VALIDATION: 'VALIDATION',
  FST_ERR_BAD_URL: 'VALIDATION',
  FST_ERR_MAX_PARAM_LENGTH: 'URI_TOO_LONG',
};

/** Our code for one of Fastify's own error codes, when it is a client error we know. */
export const fastifyErrorCode = (code: string | undefined): ErrorCode | undefined => (code ? FASTIFY_CODES[code] : undefined);

const codeForStatus = (status: number): ErrorCode => {
  if (status === 401) return 'UNAUTHENTICATED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 404) return 'NOT_FOUND';
  if (status === 408) return 'REQUEST_TIMEOUT';
  if (status === 409) return 'CONFLICT';
  if (status === 413) return 'PAYLOAD_TOO_LARGE';
  if (status === 414) return 'URI_TOO_LONG';
  if (status === 415) return 'UNSUPPORTED_MEDIA';
  if (status === 429) return 'RATE_LIMITED';
  if (status === 431) return 'HEADERS_TOO_LARGE';
  if (status === 503) return 'UNAVAILABLE';
  return status >= 400 && status < 500 ? 'VALIDATION' : 'INTERNAL';
};

/**
 * One mapping from errors to RFC 7807 bodies for every service: domain errors by code, Fastify's input
 * errors to 4xx, everything else to a 500 that reveals nothing (details go to the log only).
 */
export const problemPlugin = fp(async (app: FastifyInstance) => {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isDomainError(error)) return sendProblem(reply, error.code, error.message, error.details);
    if (error.validation) return sendProblem(reply, 'VALIDATION', error.message);
    const mapped = fastifyErrorCode(error.code);
    if (mapped) return sendProblem(reply, mapped, error.message);
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) return sendProblem(reply, codeForStatus(status), error.message);
    request.log.error({ err: error }, 'unhandled error');
    return sendProblem(reply, status === 503 ? 'UNAVAILABLE' : 'INTERNAL');
  });
  app.setNotFoundHandler((request, reply) => sendProblem(reply, 'NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}`));
});
