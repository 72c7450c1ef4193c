// An upload that stalls mid-body with its connection open (Wi-Fi gone, no TCP reset) must neither lose nor
// corrupt what a later retry stores, and must be cut off long before its claim could go stale.
import { request as httpRequest, type ClientRequest } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { signDevelopmentToken } from '@earshot/auth';
import { createChunksRepository, createDatabase, createTestDatabase, type TestDatabase } from '@earshot/db';
import { createS3Storage } from '@earshot/storage';
import {
  makeSpeechChunk,
  sha256Hex,
  startTestS3Server,
  TEST_REDIS_URL,
  uniquePrefix,
  type TestS3Server,
} from '@earshot/testing';
import { buildApp } from '../src/app';
import { loadConfig } from '../src/config';
import { createUploaderRuntime } from '../src/deps';

const SECRET = 'stalled-spec-secret';
const BUCKET = 'stalled-spec';
let db: TestDatabase;
let s3: TestS3Server;
let chunkBytes: Buffer;

beforeAll(async () => {
  [db, s3] = await Promise.all([createTestDatabase(), startTestS3Server()]);
  chunkBytes = (await makeSpeechChunk({ text: 'A chunk that will stall half way through its upload.', durationSec: 8 }))
    .bytes;
}, 60_000);
afterAll(async () => {
  await Promise.all([db?.drop(), s3?.close()]);
});

async function startUploader(env: Record<string, string>) {
  const config = loadConfig({
    DATABASE_URL: db.url,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: uniquePrefix('stalled'),
    JWT_SECRET: SECRET,
    S3_ENDPOINT: s3.endpoint,
    S3_BUCKET: BUCKET,
    LOG_LEVEL: 'silent',
    ...env,
  });
  const runtime = await createUploaderRuntime(config);
  const app: FastifyInstance = await buildApp(runtime.options);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    close: async () => {
      await app.close();
      await runtime.close();
    },
  };
}

const token = () => signDevelopmentToken({ userId: 'cand-stall', role: 'candidate', orgId: 'org-1', secret: SECRET });

async function newSession(baseUrl: string): Promise<string> {
  const response = await fetch(`${baseUrl}/api/audio/sessions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await token()}`, 'content-type': 'application/json' },
    body: JSON.stringify({ test_session_id: 'exam-stall' }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { id: string }).id;
}

const BOUNDARY = 'earshotstallboundary';
function multipartParts(sessionId: string, bytes: Buffer): { head: Buffer; tail: Buffer } {
  const field = (name: string, value: string) =>
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const head = Buffer.concat([
    Buffer.from(
      field('session_id', sessionId) +
        field('chunk_index', '0') +
        field('start_time', '0') +
        field('duration', '8') +
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="audio_chunk"; filename="c.webm"\r\nContent-Type: audio/webm\r\n\r\n`,
    ),
    bytes,
  ]);
  return { head, tail: Buffer.from(`\r\n--${BOUNDARY}--\r\n`) };
}

interface Stalled {
  request: ClientRequest;
  /** Settles with the status (or 0 when the connection closed without an answer). */
  done: Promise<number>;
  finish(): void;
}

/** Sends the fields and half the file, then nothing: the connection stays open until finish() or destroy(). */
async function stalledUpload(port: number, sessionId: string): Promise<Stalled> {
  const { head, tail } = multipartParts(sessionId, chunkBytes);
  const half = head.length - Math.floor(chunkBytes.length / 2);
  const request = httpRequest({
    agent: false,
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: '/api/audio/upload-chunk',
    headers: {
      authorization: `Bearer ${await token()}`,
      'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
      'content-length': head.length + tail.length,
    },
  });
  const done = new Promise<number>((resolve) => {
    request.on('response', (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', () => resolve(0));
    request.on('close', () => resolve(0));
  });
  request.write(head.subarray(0, half));
  openRequests.push(request);
  return {
    request,
    done,
    finish: () => {
      request.write(head.subarray(half));
      request.end(tail);
    },
  };
}

async function upload(baseUrl: string, sessionId: string) {
  const form = new FormData();
  for (const [name, value] of Object.entries({
    session_id: sessionId,
    chunk_index: '0',
    start_time: '0',
    duration: '8',
  }))
    form.append(name, value);
  form.append('audio_chunk', new Blob([chunkBytes], { type: 'audio/webm' }), 'c.webm');
  const response = await fetch(`${baseUrl}/api/audio/upload-chunk`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await token()}` },
    body: form,
  });
  return {
    status: response.status,
    body: (await response.json()) as { chunk?: { s3_key: string; content_sha256: string }; code?: string },
  };
}

const openRequests: ClientRequest[] = [];
afterEach(() => {
  for (const request of openRequests.splice(0)) request.destroy();
});

/** Waits until the stalled request holds its claim (the row exists, still receiving). */
async function claimHeld(_baseUrl: string, sessionId: string): Promise<void> {
  const handle = createDatabase({ url: db.url, maxConnections: 1 });
  try {
    const chunks = createChunksRepository(handle.db);
    await until(
      async () => ((await chunks.find(sessionId, 0))?.uploadStatus === 'receiving' ? true : undefined),
      10_000,
    );
  } finally {
    await handle.close();
  }
}

const storage = () => createS3Storage({ ...s3, bucket: BUCKET, forcePathStyle: true });

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

it('a stalled request that errors after a retry took its stale claim leaves the retry’s stored object intact', async () => {
  // The idle cut-off is off the table here (an hour), so the claim goes stale first, as before the fix.
  const uploader = await startUploader({ CLAIM_STALE_MS: '1000', UPLOAD_IDLE_TIMEOUT_MS: '3600000' });
  const objects = storage();
  try {
    const sessionId = await newSession(uploader.baseUrl);
    const stalled = await stalledUpload(uploader.port, sessionId);
    await claimHeld(uploader.baseUrl, sessionId);
    // While the first request holds the claim, a retry is told to wait.
    expect((await upload(uploader.baseUrl, sessionId)).status).toBe(409);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const retry = await upload(uploader.baseUrl, sessionId);
    expect(retry.status).toBe(201);
    const key = retry.body.chunk!.s3_key;
    // The stalled request finally dies (the network error reaches the server).
    stalled.request.destroy();
    await stalled.done;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(sha256Hex(await objects.getBytes(key))).toBe(sha256Hex(chunkBytes));
  } finally {
    for (const request of openRequests.splice(0)) request.destroy();
    objects.close();
    await uploader.close();
  }
}, 60_000);

it('a stalled request that resumes after a retry stored the chunk cannot overwrite it and gets the stored chunk', async () => {
  const uploader = await startUploader({ CLAIM_STALE_MS: '1000', UPLOAD_IDLE_TIMEOUT_MS: '3600000' });
  const objects = storage();
  try {
    const sessionId = await newSession(uploader.baseUrl);
    const stalled = await stalledUpload(uploader.port, sessionId);
    await claimHeld(uploader.baseUrl, sessionId);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const retry = await upload(uploader.baseUrl, sessionId);
    expect(retry.status).toBe(201);
    stalled.finish();
    // Same bytes: the late request is answered as a duplicate of what is stored.
    expect(await stalled.done).toBe(200);
    const after = await fetch(`${uploader.baseUrl}/api/audio/sessions/${sessionId}`, {
      headers: { authorization: `Bearer ${await token()}` },
    });
    const chunks = ((await after.json()) as { chunks: { s3_key: string; content_sha256: string }[] }).chunks;
    expect(chunks).toHaveLength(1);
    expect(chunks[0]!.s3_key).toBe(retry.body.chunk!.s3_key);
    expect(sha256Hex(await objects.getBytes(chunks[0]!.s3_key))).toBe(sha256Hex(chunkBytes));
    // The late request's own bytes were removed: one object under the session's prefix.
    expect(await objects.listKeys(`audio/${sessionId}/`)).toEqual([chunks[0]!.s3_key]);
  } finally {
    for (const request of openRequests.splice(0)) request.destroy();
    objects.close();
    await uploader.close();
  }
}, 60_000);

it('cuts off a body that stops arriving, answers 408 UPLOAD_STALLED and frees the index at once', async () => {
  const uploader = await startUploader({ CLAIM_STALE_MS: '120000', UPLOAD_IDLE_TIMEOUT_MS: '1000' });
  const objects = storage();
  try {
    const sessionId = await newSession(uploader.baseUrl);
    const started = Date.now();
    const stalled = await stalledUpload(uploader.port, sessionId);
    const status = await stalled.done;
    const elapsedMs = Date.now() - started;
    expect([408, 0]).toContain(status);
    expect(elapsedMs).toBeLessThan(30_000);
    // No need to wait for the claim to go stale: the index is free again.
    const retry = await until(async () => {
      const attempt = await upload(uploader.baseUrl, sessionId);
      return attempt.status === 201 ? attempt : undefined;
    }, 10_000);
    expect(sha256Hex(await objects.getBytes(retry.body.chunk!.s3_key))).toBe(sha256Hex(chunkBytes));
    expect(await objects.listKeys(`audio/${sessionId}/`)).toEqual([retry.body.chunk!.s3_key]);
  } finally {
    for (const request of openRequests.splice(0)) request.destroy();
    objects.close();
    await uploader.close();
  }
}, 60_000);
