import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  CompleteSessionBodySchema,
  CreateSessionBodySchema,
  DomainError,
  isDomainError,
  ProblemSchema,
  SessionAccessSchema,
  SessionParamsSchema,
  SessionSchema,
  SessionWithChunksSchema,
  UploadChunkReplySchema,
} from '@earshot/contracts';
import { principalOf } from '@earshot/http';
import { appendChunk } from './append-chunk';
import { completeSession } from './complete-session';
import { createSession } from './create-session';
import { getSession } from './get-session';
import { getSessionAccess } from './get-session-access';
import type { SessionDeps } from './ports';
import { asMalformedBody, readUploadRequest } from './upload-request';

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

  app.get(
    '/api/audio/sessions/:id/access',
    { schema: { params: SessionParamsSchema, response: { 200: SessionAccessSchema, ...problems } } },
    async (request) => getSessionAccess(deps, principalOf(request), request.params.id),
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
      const upload = await readUploadRequest(request);
      const file = upload.file.file;
      const result = await appendChunk(deps, principal, { fields: upload.fields, file, afterFile: upload.expectEnd }).catch((error: unknown) => {
        // A file stream destroyed with an error failed while parsing the request body: the client's fault,
        // whatever appendChunk was doing with the bytes (it has removed what it stored).
        const bodyError: unknown = file.errored;
        throw bodyError === null || isDomainError(error) ? error : asMalformedBody(bodyError);
      });
      // A duplicate is answered without storing, so appendChunk never ran the check: parts after its file are
      // refused all the same.
      await upload.expectEnd();
      return reply.code(result.duplicate ? 200 : 201).send(result);
    },
  );
};
