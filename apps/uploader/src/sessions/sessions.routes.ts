import type { MultipartFile } from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Value } from '@sinclair/typebox/value';
import {
  CompleteSessionBodySchema,
  CreateSessionBodySchema,
  DomainError,
  isDomainError,
  ProblemSchema,
  SessionParamsSchema,
  SessionSchema,
  SessionWithChunksSchema,
  UPLOAD_FILE_FIELD,
  UploadChunkFieldsSchema,
  UploadChunkReplySchema,
  type UploadChunkFields,
} from '@earshot/contracts';
import { principalOf } from '@earshot/http';
import { appendChunk } from './append-chunk';
import { completeSession } from './complete-session';
import { createSession } from './create-session';
import { getSession } from './get-session';
import type { SessionDeps } from './ports';

const problems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema };

/** Transport only: schemas in, use case, reply out. */
export const sessionsRoutes: FastifyPluginAsyncTypebox<{ deps: SessionDeps }> = async (app, { deps }) => {
  app.addHook('preHandler', (request) => app.authenticate(request));

  app.post(
    '/api/audio/sessions',
    { schema: { body: CreateSessionBodySchema, response: { 201: SessionSchema, ...problems } } },
    async (request, reply) => reply.code(201).send(await createSession(deps, principalOf(request), request.body)),
  );

  app.get(
    '/api/audio/sessions/:id',
    { schema: { params: SessionParamsSchema, response: { 200: SessionWithChunksSchema, ...problems } } },
    async (request) => getSession(deps, principalOf(request), request.params.id),
  );

  app.post(
    '/api/audio/session-complete',
    { schema: { body: CompleteSessionBodySchema, response: { 200: SessionSchema, ...problems } } },
    async (request) => completeSession(deps, principalOf(request), request.body),
  );

  app.post(
    '/api/audio/upload-chunk',
    { schema: { response: { 200: UploadChunkReplySchema, 201: UploadChunkReplySchema, ...problems, 413: ProblemSchema, 415: ProblemSchema } } },
    async (request, reply) => {
      if (!request.isMultipart()) throw new DomainError('UNSUPPORTED_MEDIA', 'Send multipart/form-data');
      const principal = principalOf(request);
      const file = await request.file().catch((error: unknown) => {
        throw asMalformedBody(error);
      });
      if (!file) throw new DomainError('VALIDATION', `The ${UPLOAD_FILE_FIELD} file part is missing`);
      if (file.fieldname !== UPLOAD_FILE_FIELD) {
        file.file.resume();
        throw new DomainError('VALIDATION', `The file part must be named ${UPLOAD_FILE_FIELD}`);
      }
      const fields = readFields(file);
      const result = await appendChunk(deps, principal, { fields, file: file.file }).catch((error: unknown) => {
        // A file stream destroyed with an error failed while parsing the request body: the client's fault,
        // whatever appendChunk was doing with the bytes (it has removed what it stored).
        const bodyError: unknown = file.file.errored;
        throw bodyError === null || isDomainError(error) ? error : asMalformedBody(bodyError);
      });
      return reply.code(result.duplicate ? 200 : 201).send(result);
    },
  );
};

/**
 * busboy's errors carry no code, and every error the multipart parser raises means the body is not well-formed
 * multipart/form-data (truncated, no or wrong boundary, LF line endings, ...). @fastify/multipart's own FST_*
 * errors keep their codes (libs/http maps them).
 */
function asMalformedBody(error: unknown): unknown {
  if (isDomainError(error)) return error;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && code.startsWith('FST_')) return error;
  return new DomainError('VALIDATION', `The body is not well-formed multipart/form-data (${typeof message === 'string' ? message : 'unreadable'})`);
}

/** Text fields sent before the file. Streaming needs them first: we know the target before the bytes arrive. */
function readFields(file: MultipartFile): UploadChunkFields {
  const raw: Record<string, string> = {};
  for (const [name, entry] of Object.entries(file.fields)) {
    const value = Array.isArray(entry) ? entry[0] : entry;
    if (value && value.type === 'field') raw[name] = String(value.value);
  }
  if (!('session_id' in raw) || !('chunk_index' in raw) || !('start_time' in raw)) {
    file.file.resume();
    throw new DomainError('FIELD_ORDER', 'Send session_id, chunk_index and start_time before the audio_chunk file');
  }
  const converted = Value.Convert(UploadChunkFieldsSchema, raw);
  if (!Value.Check(UploadChunkFieldsSchema, converted)) {
    file.file.resume();
    const first = Value.Errors(UploadChunkFieldsSchema, converted).First();
    throw new DomainError('VALIDATION', `Invalid field ${first?.path.slice(1) ?? ''}: ${first?.message ?? 'invalid'}`);
  }
  return converted;
}
