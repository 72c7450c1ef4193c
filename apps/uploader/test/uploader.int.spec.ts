import type { FastifyInstance } from 'fastify';
import { signDevelopmentToken } from '@earshot/auth';
import { createTestDatabase, type TestDatabase } from '@earshot/db';
import { createJobProducer } from '@earshot/queue';
import { createS3Storage } from '@earshot/storage';
import { makeSpeechChunk, sha256Hex, startTestS3Server, TEST_REDIS_URL, uniquePrefix, type TestS3Server } from '@earshot/testing';
import { buildApp } from '../src/app';
import { loadConfig } from '../src/config';
import { createUploaderRuntime } from '../src/deps';

const SECRET = 'uploader-spec-secret';
const MAX_CHUNK_BYTES = 512 * 1024;
let db: TestDatabase;
let s3: TestS3Server;
let app: FastifyInstance;
let runtime: Awaited<ReturnType<typeof createUploaderRuntime>>;
let baseUrl: string;
let queuePrefix: string;
let chunkBytes: Buffer;
let otherChunkBytes: Buffer;

const token = (userId = 'cand-1', role: 'candidate' | 'proctor' | 'admin' = 'candidate', orgId = 'org-1') =>
  signDevelopmentToken({ userId, role, orgId, secret: SECRET });

beforeAll(async () => {
  [db, s3] = await Promise.all([createTestDatabase(), startTestS3Server()]);
  queuePrefix = uniquePrefix('uploader');
  const config = loadConfig({
    DATABASE_URL: db.url,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: queuePrefix,
    JWT_SECRET: SECRET,
    S3_ENDPOINT: s3.endpoint,
    S3_BUCKET: 'uploader-spec',
    MAX_CHUNK_BYTES: String(MAX_CHUNK_BYTES),
    CLAIM_STALE_MS: '60000',
    LOG_LEVEL: 'silent',
  });
  runtime = await createUploaderRuntime(config);
  app = await buildApp(runtime.options);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  chunkBytes = (await makeSpeechChunk({ text: 'The quick brown fox jumps over the lazy dog.', durationSec: 6 })).bytes;
  otherChunkBytes = (await makeSpeechChunk({ text: 'Another sentence entirely.', durationSec: 6 })).bytes;
}, 60_000);

afterAll(async () => {
  await app?.close();
  await runtime?.close();
  await Promise.all([db?.drop(), s3?.close()]);
});

const api = async (method: string, path: string, options: { token?: string; json?: unknown; form?: FormData } = {}) => {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: RequestInit['body'];
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.form) body = options.form;
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
  const text = await response.text();
  return { status: response.status, type: response.headers.get('content-type') ?? '', body: text ? (JSON.parse(text) as Record<string, any>) : {} };
};

const chunkForm = (fields: Record<string, string | number>, bytes: Buffer | null = chunkBytes, fileFirst = false) => {
  const form = new FormData();
  const file = () => bytes && form.append('audio_chunk', new Blob([bytes], { type: 'audio/webm' }), 'chunk.webm');
  if (fileFirst) file();
  for (const [name, value] of Object.entries(fields)) form.append(name, String(value));
  if (!fileFirst) file();
  return form;
};

const newSession = async (userToken?: string) => {
  const created = await api('POST', '/api/audio/sessions', { token: userToken ?? (await token()), json: { test_session_id: 'exam-42', metadata: { seat: 7 } } });
  expect(created.status).toBe(201);
  return created.body.id as string;
};

const storage = () => createS3Storage({ ...s3, bucket: 'uploader-spec', forcePathStyle: true });
const waitingJobs = async () => {
  const producer = createJobProducer({ redisUrl: TEST_REDIS_URL, prefix: queuePrefix });
  const counts = await producer.counts('chunk.vad');
  await producer.close();
  return counts.waiting ?? 0;
};

describe('uploader over HTTP (real Postgres, Redis, S3)', () => {
  it('is ready when Postgres, Redis and S3 answer', async () => {
    const ready = await api('GET', '/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toEqual({ postgres: 'ok', redis: 'ok', s3: 'ok' });
  });

  it('stores a chunk once: 201, then 200 for the same bytes, 409 for different bytes', async () => {
    const sessionId = await newSession();
    const candidate = await token();
    const jobsBefore = await waitingJobs();

    const first = await api('POST', '/api/audio/upload-chunk', { token: candidate, form: chunkForm({ session_id: sessionId, chunk_index: 0, start_time: 0, duration: 6 }) });
    expect(first.status).toBe(201);
    expect(first.body.duplicate).toBe(false);
    expect(first.body.chunk).toMatchObject({
      chunk_index: 0,
      upload_status: 'uploaded',
      processing_status: 'pending',
      file_size_bytes: chunkBytes.length,
      content_sha256: sha256Hex(chunkBytes),
      content_type: 'audio/webm',
      s3_key: expect.stringMatching(new RegExp(`^audio/${sessionId}/chunk_0000_[0-9a-f]{16}\\.webm$`)),
    });
    expect(sha256Hex(await storage().getBytes(first.body.chunk.s3_key))).toBe(sha256Hex(chunkBytes));
    expect(await waitingJobs()).toBe(jobsBefore + 1);

    const again = await api('POST', '/api/audio/upload-chunk', { token: candidate, form: chunkForm({ session_id: sessionId, chunk_index: 0, start_time: 0 }) });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ duplicate: true, chunk: { id: first.body.chunk.id } });
    expect(await waitingJobs()).toBe(jobsBefore + 1);

    const conflict = await api('POST', '/api/audio/upload-chunk', { token: candidate, form: chunkForm({ session_id: sessionId, chunk_index: 0, start_time: 0 }, otherChunkBytes) });
    expect(conflict.status).toBe(409);
    expect(conflict.type).toContain('application/problem+json');
    expect(conflict.body.code).toBe('CHUNK_CONFLICT');
    expect(sha256Hex(await storage().getBytes(first.body.chunk.s3_key))).toBe(sha256Hex(chunkBytes));
    expect(await storage().listKeys(`audio/${sessionId}/`)).toEqual([first.body.chunk.s3_key]);
  });

  it('lets exactly one of several concurrent uploads of an index store it', async () => {
    const sessionId = await newSession();
    const candidate = await token();
    const results = await Promise.all(
      Array.from({ length: 5 }, () => api('POST', '/api/audio/upload-chunk', { token: candidate, form: chunkForm({ session_id: sessionId, chunk_index: 3, start_time: 90 }) })),
    );
    const statuses = results.map((result) => result.status).sort();
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    for (const result of results.filter((r) => r.status === 409)) expect(result.body.code).toBe('UPLOAD_IN_PROGRESS');
    const session = await api('GET', `/api/audio/sessions/${sessionId}`, { token: candidate });
    expect(session.body.chunks).toHaveLength(1);
  });

  describe('rejects bad uploads with a stable code and leaves no trace', () => {
    let sessionId: string;
    let candidate: string;
    beforeAll(async () => {
      candidate = await token();
      sessionId = await newSession(candidate);
    });
    const NO_SESSION = '00000000-0000-4000-8000-000000000000';
    interface BadUpload {
      status: number;
      code: string;
      index: number;
      form: () => FormData;
      as?: () => Promise<string>;
    }
    const fields = (index: number, extra: Record<string, string | number> = {}) => ({ session_id: sessionId, chunk_index: index, start_time: 0, ...extra });
    const cases: [string, BadUpload][] = [
      ['oversize file', { status: 413, code: 'PAYLOAD_TOO_LARGE', index: 10, form: () => chunkForm(fields(10), Buffer.concat([chunkBytes, Buffer.alloc(MAX_CHUNK_BYTES)])) }],
      ['non-audio bytes', { status: 415, code: 'UNSUPPORTED_MEDIA', index: 11, form: () => chunkForm(fields(11), Buffer.from('%PDF-1.7 not audio at all')) }],
      ['empty file', { status: 400, code: 'VALIDATION', index: 12, form: () => chunkForm(fields(12), Buffer.alloc(0)) }],
      // Fields must precede the file: when they are absent by the time the file arrives, the server says so.
      ['fields missing before the file', { status: 400, code: 'FIELD_ORDER', index: 13, form: () => chunkForm({}, chunkBytes, true) }],
      ['negative index', { status: 400, code: 'VALIDATION', index: -1, form: () => chunkForm(fields(-1)) }],
      ['non-numeric start time', { status: 400, code: 'VALIDATION', index: 14, form: () => chunkForm(fields(14, { start_time: 'soon' })) }],
      ['missing file', { status: 400, code: 'VALIDATION', index: 15, form: () => chunkForm(fields(15), null) }],
      ['malformed session id', { status: 400, code: 'VALIDATION', index: 16, form: () => chunkForm(fields(16, { session_id: 'nope' })) }],
      ['unknown session', { status: 404, code: 'NOT_FOUND', index: 17, form: () => chunkForm(fields(17, { session_id: NO_SESSION })) }],
      ['another candidate', { status: 403, code: 'FORBIDDEN', index: 18, form: () => chunkForm(fields(18)), as: () => token('cand-2') }],
      ['a proctor', { status: 403, code: 'FORBIDDEN', index: 19, form: () => chunkForm(fields(19)), as: () => token('proc-1', 'proctor') }],
      ['no token', { status: 401, code: 'UNAUTHENTICATED', index: 20, form: () => chunkForm(fields(20)), as: async () => '' }],
      ['a forged token', { status: 401, code: 'UNAUTHENTICATED', index: 21, form: () => chunkForm(fields(21)), as: () => signDevelopmentToken({ userId: 'cand-1', role: 'candidate', orgId: 'org-1', secret: 'wrong' }) }],
    ];
    it.each(cases)('%s', async (_label, bad) => {
      const result = await api('POST', '/api/audio/upload-chunk', { token: bad.as ? await bad.as() : candidate, form: bad.form() });
      expect({ status: result.status, code: result.body.code }).toEqual({ status: bad.status, code: bad.code });
      expect(result.type).toContain('application/problem+json');
      const session = await api('GET', `/api/audio/sessions/${sessionId}`, { token: candidate });
      expect(session.body.chunks.map((chunk: { chunk_index: number }) => chunk.chunk_index)).not.toContain(bad.index);
      if (bad.index >= 0) expect(await storage().listKeys(`audio/${sessionId}/chunk_${String(bad.index).padStart(4, '0')}_`)).toEqual([]);
    });

    it('rejects a non-multipart upload and bad JSON bodies', async () => {
      const notMultipart = await api('POST', '/api/audio/upload-chunk', { token: candidate, json: { session_id: sessionId } });
      expect({ status: notMultipart.status, code: notMultipart.body.code }).toEqual({ status: 415, code: 'UNSUPPORTED_MEDIA' });
      const badSession = await api('POST', '/api/audio/sessions', { token: candidate, json: { metadata: {} } });
      expect({ status: badSession.status, code: badSession.body.code }).toEqual({ status: 400, code: 'VALIDATION' });
      const badComplete = await api('POST', '/api/audio/session-complete', { token: candidate, json: { session_id: sessionId, total_chunks: -2 } });
      expect({ status: badComplete.status, code: badComplete.body.code }).toEqual({ status: 400, code: 'VALIDATION' });
    });
  });

  it('completes a session, then refuses new chunks but still answers a duplicate', async () => {
    const candidate = await token();
    const sessionId = await newSession(candidate);
    const upload = (index: number) => api('POST', '/api/audio/upload-chunk', { token: candidate, form: chunkForm({ session_id: sessionId, chunk_index: index, start_time: index * 30 }) });
    expect((await upload(0)).status).toBe(201);
    const completed = await api('POST', '/api/audio/session-complete', { token: candidate, json: { session_id: sessionId, total_chunks: 2 } });
    expect(completed.status).toBe(200);
    expect(completed.body).toMatchObject({ status: 'processing', total_chunks: 2, uploaded_chunks: 1 });
    expect((await upload(0)).status).toBe(200);
    const late = await upload(1);
    expect({ status: late.status, code: late.body.code }).toEqual({ status: 409, code: 'SESSION_CLOSED' });
  });

  it('shows a session to its candidate and its org\'s proctors, not to others', async () => {
    const sessionId = await newSession();
    expect((await api('GET', `/api/audio/sessions/${sessionId}`, { token: await token() })).status).toBe(200);
    expect((await api('GET', `/api/audio/sessions/${sessionId}`, { token: await token('p', 'proctor') })).status).toBe(200);
    expect((await api('GET', `/api/audio/sessions/${sessionId}`, { token: await token('a', 'admin', 'org-2') })).body.code).toBe('FORBIDDEN');
    expect((await api('GET', `/api/audio/sessions/${sessionId}`, { token: await token('cand-2') })).body.code).toBe('FORBIDDEN');
    expect((await api('GET', '/api/audio/sessions/not-a-uuid', { token: await token() })).body.code).toBe('VALIDATION');
  });

  it('answers the access check by the same rules, with the owner only and no chunks', async () => {
    const sessionId = await newSession();
    const access = (callerToken: string, id = sessionId) => api('GET', `/api/audio/sessions/${id}/access`, { token: callerToken });
    expect(await access(await token())).toMatchObject({ status: 200, body: { session_id: sessionId, user_id: 'cand-1', org_id: 'org-1' } });
    expect(Object.keys((await access(await token('p', 'proctor'))).body).sort()).toEqual(['org_id', 'session_id', 'user_id']);
    expect((await access(await token('a', 'admin', 'org-2'))).body.code).toBe('FORBIDDEN');
    expect((await access(await token('cand-2'))).body.code).toBe('FORBIDDEN');
    expect((await access(await token(), '00000000-0000-4000-8000-000000000000')).body.code).toBe('NOT_FOUND');
    expect((await api('GET', `/api/audio/sessions/${sessionId}/access`)).body.code).toBe('UNAUTHENTICATED');
  });
});
