import { ERRORS } from '@earshot/contracts';
import { jsonOf, makeSpeechChunk, rawMultipart, sendRaw, type RawPart, type RawRequest, type RawResponse } from '@earshot/testing';
import { startUploader, type UploaderHarness } from './uploader-harness';

/**
 * Malformed input on every uploader route: each gets a stable 4xx problem+json with a catalogue code, and a
 * rejected upload leaves neither a row nor an object. Requests go over a bare socket so nothing repairs them.
 */
let uploader: UploaderHarness;
let candidate: string;
let chunk: Buffer;

beforeAll(async () => {
  uploader = await startUploader();
  candidate = await uploader.token();
  chunk = (await makeSpeechChunk({ text: 'Hostile input makes robust servers.', durationSec: 2 })).bytes;
}, 60_000);

afterAll(async () => {
  await uploader?.close();
});

const send = (request: RawRequest) => sendRaw(uploader.baseUrl, { ...request, headers: [['Authorization', `Bearer ${candidate}`], ...(request.headers ?? [])] });

const postJson = (path: string, body: string, method = 'POST') => send({ method, path, headers: [['Content-Type', 'application/json']], body: Buffer.from(body, 'utf8') });

const newSession = async (): Promise<string> => {
  const created = await postJson('/api/audio/sessions', JSON.stringify({ test_session_id: 'exam-input' }));
  expect(created.status).toBe(201);
  return jsonOf(created)!.id as string;
};

const field = (name: string, value: string): RawPart => ({ name, value });
const filePart = (bytes: Buffer = chunk, name = 'audio_chunk'): RawPart => ({ name, filename: 'chunk.webm', contentType: 'audio/webm', value: bytes });
const fieldsFor = (sessionId: string, index = '0', startTime = '0'): RawPart[] => [field('session_id', sessionId), field('chunk_index', index), field('start_time', startTime)];

const postMultipart = (built: { body: Buffer; contentType: string }, extra: Partial<RawRequest> = {}) =>
  send({ path: '/api/audio/upload-chunk', headers: [['Content-Type', built.contentType]], body: built.body, ...extra });

function expectProblem(response: RawResponse, status: number, code: keyof typeof ERRORS): void {
  const body = jsonOf(response);
  expect({ status: response.status, code: body?.code }).toEqual({ status, code });
  expect(response.headers['content-type']).toContain('application/problem+json');
  expect(ERRORS[code].status).toBe(status);
}

async function expectNothingStored(sessionId: string): Promise<void> {
  expect(await uploader.chunkRows(sessionId)).toEqual([]);
  expect(await uploader.storage.listKeys(`audio/${sessionId}/`)).toEqual([]);
  expect(await uploader.storage.listKeys(`audio/${sessionId.toUpperCase()}/`)).toEqual([]);
}

describe('malformed multipart bodies answer 400 VALIDATION, never 500', () => {
  const cases: [string, (sessionId: string) => Promise<RawResponse>][] = [
    ['no closing delimiter', (id) => postMultipart(rawMultipart([...fieldsFor(id), filePart()], { close: false }))],
    [
      'the body ends inside the file part',
      (id) => {
        const full = rawMultipart([...fieldsFor(id), filePart()]);
        return postMultipart({ ...full, body: full.body.subarray(0, full.body.length - 500) });
      },
    ],
    [
      'the body ends inside a field',
      (id) => {
        const full = rawMultipart([...fieldsFor(id), filePart()]);
        return postMultipart({ ...full, body: full.body.subarray(0, 60) });
      },
    ],
    ['multipart/form-data without a boundary', (id) => postMultipart({ ...rawMultipart([...fieldsFor(id), filePart()]), contentType: 'multipart/form-data' })],
    ['a boundary the body does not use', (id) => postMultipart({ ...rawMultipart([...fieldsFor(id), filePart()]), contentType: 'multipart/form-data; boundary=another-one' })],
    ['an empty boundary', (id) => postMultipart({ ...rawMultipart([...fieldsFor(id), filePart()]), contentType: 'multipart/form-data; boundary=' })],
    ['a boundary of 300 characters', (id) => postMultipart(rawMultipart([...fieldsFor(id), filePart()], { boundary: 'b'.repeat(300) }))],
    ['LF-only line endings', (id) => postMultipart(rawMultipart([...fieldsFor(id), filePart()], { newline: '\n' }))],
    ['plain text under a multipart content type', () => postMultipart({ body: Buffer.from('just some words'), contentType: 'multipart/form-data; boundary=x' })],
    ['an empty body', () => postMultipart({ body: Buffer.alloc(0), contentType: 'multipart/form-data; boundary=x' })],
    ['a NUL byte in the duration', (id) => postMultipart(rawMultipart([...fieldsFor(id), field('duration', '1\u0000'), filePart()]))],
    ['a NUL byte in the session id', (id) => postMultipart(rawMultipart([field('session_id', `${id}\u0000`), field('chunk_index', '0'), field('start_time', '0'), filePart()]))],
  ];
  it.each(cases)('%s', async (_label, run) => {
    const sessionId = await newSession();
    expectProblem(await run(sessionId), 400, 'VALIDATION');
    await expectNothingStored(sessionId);
  });

  it('a client that half-closes before its body is complete gets a problem answer', async () => {
    const sessionId = await newSession();
    const full = rawMultipart([...fieldsFor(sessionId), filePart()]);
    expectProblem(await postMultipart(full, { sendBytes: full.body.length - 500, halfClose: true }), 400, 'VALIDATION');
    await expect(poll(() => uploader.chunkRows(sessionId), (rows) => rows.length === 0)).resolves.toEqual([]);
    await expectNothingStored(sessionId);
  });

  it('a client that disappears mid-file leaves nothing behind', async () => {
    const sessionId = await newSession();
    const full = rawMultipart([...fieldsFor(sessionId), filePart()]);
    const response = await postMultipart(full, { sendBytes: full.body.length - 500, timeoutMs: 500 });
    expect(response.status).toBe(0);
    await expect(poll(() => uploader.chunkRows(sessionId), (rows) => rows.length === 0)).resolves.toEqual([]);
    await expectNothingStored(sessionId);
  });
});

describe('JSON bodies that no handler can store answer 400 VALIDATION', () => {
  const deep = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
  const cases: [string, string][] = [
    ['a NUL character in test_session_id', JSON.stringify({ test_session_id: 'exam\u00001' })],
    ['a control character in test_session_id', JSON.stringify({ test_session_id: 'exam\u00071' })],
    ['a NUL character in a metadata value', JSON.stringify({ test_session_id: 'exam', metadata: { seat: 'a\u0000b' } })],
    ['a NUL character in a metadata key', JSON.stringify({ test_session_id: 'exam', metadata: { 'se\u0000at': 1 } })],
    ['metadata nested 20,000 deep', `{"test_session_id":"exam","metadata":{"a":${deep(20_000)}}}`],
    ['a body nested 20,000 deep', deep(20_000)],
    ['metadata nested 100 deep', `{"test_session_id":"exam","metadata":{"a":${deep(100)}}}`],
  ];
  it.each(cases)('%s', async (_label, body) => {
    expectProblem(await postJson('/api/audio/sessions', body), 400, 'VALIDATION');
  });

  it('still accepts ordinary metadata', async () => {
    const created = await postJson('/api/audio/sessions', JSON.stringify({ test_session_id: 'exam', metadata: { seat: 7, notes: 'line one\nline two', room: { floor: [1, { wing: 'é' }] } } }));
    expect(created.status).toBe(201);
  });
});

async function poll<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 5_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() - started > timeoutMs) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
