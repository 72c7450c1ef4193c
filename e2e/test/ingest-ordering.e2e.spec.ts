import { request as httpRequest, type ClientRequest } from 'node:http';
import { signDevelopmentToken } from '@earshot/auth';
import { createChunksRepository, createDatabase, type DatabaseHandle } from '@earshot/db';
import { makeSpeechChunk, startStack, type Stack } from '@earshot/testing';

/**
 * The chunk path's promises where requests overlap, with every service as its own process: completion is
 * ordered with uploads, and a refused upload cannot stall anybody else's requests through the gateway.
 */
const SECRET = 'e2e-ordering-secret';
let stack: Stack;
let database: DatabaseHandle;
let chunk: Buffer;
const open: ClientRequest[] = [];

beforeAll(async () => {
  stack = await startStack({
    jwtSecret: SECRET,
    bucket: 'e2e-ordering',
    services: ['uploader', 'analyzer', 'gateway'],
    env: { analyzer: { TRANSCRIBER: 'none', PHRASE_SPOTTING: 'false' } },
  });
  database = createDatabase({ url: stack.databaseUrl, maxConnections: 2 });
  chunk = (await makeSpeechChunk({ text: 'An answer spoken while the exam page is closing.', durationSec: 10 })).bytes;
}, 120_000);

afterAll(async () => {
  for (const request of open) request.destroy();
  await database?.close();
  await stack?.stop();
});

const token = (userId: string) =>
  signDevelopmentToken({ userId, role: 'candidate', orgId: 'org-ordering', secret: SECRET });

async function call(method: string, path: string, userId: string, body?: object | FormData, timeoutMs = 20_000) {
  const headers: Record<string, string> = { authorization: `Bearer ${await token(userId)}` };
  let payload: RequestInit['body'];
  if (body instanceof FormData) payload = body;
  else if (body) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const started = Date.now();
  const response = await fetch(`${stack.url}${path}`, {
    method,
    headers,
    body: payload,
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: (text ? JSON.parse(text) : {}) as Record<string, any>,
    elapsedMs: Date.now() - started,
  };
}

const newSession = async (userId: string) => {
  const created = await call('POST', '/api/audio/sessions', userId, { test_session_id: 'exam-ordering' });
  expect(created.status).toBe(201);
  return created.body.id as string;
};

const chunkForm = (sessionId: string, index: number, bytes: Buffer) => {
  const form = new FormData();
  form.append('session_id', sessionId);
  form.append('chunk_index', String(index));
  form.append('start_time', String(index * 10));
  form.append('audio_chunk', new Blob([bytes], { type: 'audio/webm' }), `chunk_${index}.webm`);
  return form;
};

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A chunk upload through the gateway that sends half its file and waits for `finish()`. */
async function halfSentUpload(sessionId: string, index: number, userId: string) {
  const boundary = 'earshotorderingboundary';
  const field = (name: string, value: string) =>
    `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const head = Buffer.concat([
    Buffer.from(
      field('session_id', sessionId) +
        field('chunk_index', String(index)) +
        field('start_time', String(index * 10)) +
        `--${boundary}\r\nContent-Disposition: form-data; name="audio_chunk"; filename="c.webm"\r\nContent-Type: audio/webm\r\n\r\n`,
    ),
    chunk,
  ]);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const url = new URL(stack.url);
  const request = httpRequest({
    host: url.hostname,
    port: url.port,
    method: 'POST',
    path: '/api/audio/upload-chunk',
    agent: false,
    headers: {
      authorization: `Bearer ${await token(userId)}`,
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-length': head.length + tail.length,
    },
  });
  open.push(request);
  const answer = new Promise<{ status: number; body: Record<string, any> }>((resolve, reject) => {
    request.on('response', (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (piece: string) => (text += piece));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as Record<string, any> }),
      );
    });
    request.on('error', reject);
  });
  const half = head.length - Math.floor(chunk.length / 2);
  request.write(head.subarray(0, half));
  return {
    answer,
    finish: () => {
      request.write(head.subarray(half));
      request.end(tail);
    },
  };
}

it('a session completed while its last chunk is still uploading waits for that chunk; its total is fixed once', async () => {
  const userId = 'cand-ordering';
  const sessionId = await newSession(userId);
  expect((await call('POST', '/api/audio/upload-chunk', userId, chunkForm(sessionId, 0, chunk))).status).toBe(201);
  const last = await halfSentUpload(sessionId, 1, userId);
  const chunks = createChunksRepository(database.db);
  await until(
    async () => ((await chunks.find(sessionId, 1))?.uploadStatus === 'receiving' ? true : undefined),
    20_000,
    'the claim',
  );

  const completed = await call('POST', '/api/audio/session-complete', userId, {
    session_id: sessionId,
    total_chunks: 2,
  });
  expect(completed.status).toBe(200);
  expect(completed.body.status).toBe('processing');
  // The total is fixed by the first completion; a repeat with it is answered, another one is refused.
  expect(
    (await call('POST', '/api/audio/session-complete', userId, { session_id: sessionId, total_chunks: 2 })).status,
  ).toBe(200);
  const other = await call('POST', '/api/audio/session-complete', userId, { session_id: sessionId, total_chunks: 3 });
  expect(other.status).toBe(409);
  expect(other.body.code).toBe('CONFLICT');
  // A chunk that was not in flight at completion is refused.
  const late = await call('POST', '/api/audio/upload-chunk', userId, chunkForm(sessionId, 2, chunk));
  expect(late.status).toBe(409);
  expect(late.body.code).toBe('SESSION_CLOSED');

  // Chunk 0 is analysed long before chunk 1 arrives; the session must not complete without it.
  await until(
    async () => ((await chunks.find(sessionId, 0))?.processingStatus === 'completed' ? true : undefined),
    60_000,
    'chunk 0',
  );
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  expect((await call('GET', `/api/audio/sessions/${sessionId}`, userId)).body.status).toBe('processing');

  last.finish();
  expect((await last.answer).status).toBe(201);
  const session = await until(
    async () => {
      const read = await call('GET', `/api/audio/sessions/${sessionId}`, userId);
      return read.body.status === 'completed' ? read.body : undefined;
    },
    90_000,
    'the summary',
  );
  expect(session.total_chunks).toBe(2);
  expect(session.missing_chunk_indexes).toEqual([]);
  expect(
    session.chunks.map((row: { chunk_index: number; processing_status: string }) => [
      row.chunk_index,
      row.processing_status,
    ]),
  ).toEqual([
    [0, 'completed'],
    [1, 'completed'],
  ]);
}, 180_000);

it('an upload refused before its body is read does not stall other users’ requests through the gateway', async () => {
  const owner = 'cand-owner';
  const sessionId = await newSession(owner);
  const big = Buffer.concat([chunk, Buffer.alloc(2 * 1024 * 1024, 7)]);
  for (let round = 0; round < 5; round += 1) {
    // Another candidate writes into the owner's session: 403 before a byte of the 2 MB body is read.
    const refused = await call('POST', '/api/audio/upload-chunk', 'cand-intruder', chunkForm(sessionId, round, big));
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('FORBIDDEN');
    // The owner's next requests go out at once on the gateway's upstream connections.
    for (let request = 0; request < 3; request += 1) {
      const read = await call('GET', `/api/audio/sessions/${sessionId}`, owner, undefined, 15_000);
      expect(read.status).toBe(200);
      expect(read.elapsedMs).toBeLessThan(5_000);
    }
  }
}, 180_000);
