import { io, type Socket } from 'socket.io-client';
import { signDevelopmentToken } from '@earshot/auth';
import type { ChunkProcessedEvent, ClientToServerEvents, ServerToClientEvents, SessionCompletedEvent } from '@earshot/contracts';
import { createS3Storage, type ObjectStorage } from '@earshot/storage';
import { makeSpeechChunk, sha256Hex, startStack, type Stack } from '@earshot/testing';

/**
 * The whole chunk path with every service as its own process: page → gateway → uploader → S3 + Postgres →
 * queue → analyzer → notifier → the page's socket.
 */
const SECRET = 'e2e-secret';
const BUCKET = 'e2e-audio';
const MAX_CHUNK_BYTES = 1024 * 1024;
const CHUNK_SEC = 30;
const TEXTS = [
  'Question one. The mitochondria is the powerhouse of the cell, and I will explain why in some detail.',
  'Question two. Photosynthesis turns light, water and carbon dioxide into sugar and oxygen.',
  'Question three. The French revolution began in seventeen eighty nine.',
];

let stack: Stack;
let storage: ObjectStorage;
let gatewayUrl: string;
let chunks: Buffer[];

beforeAll(async () => {
  stack = await startStack({ jwtSecret: SECRET, bucket: BUCKET, env: { uploader: { MAX_CHUNK_BYTES: String(MAX_CHUNK_BYTES) } } });
  gatewayUrl = stack.url;
  storage = createS3Storage({ ...stack.s3, forcePathStyle: true });
  chunks = await Promise.all(TEXTS.map(async (text, index) => (await makeSpeechChunk({ text, durationSec: CHUNK_SEC, speechStartSec: 1 + index })).bytes));
}, 120_000);

afterAll(async () => {
  storage?.close();
  await stack?.stop();
});

const token = (userId = 'candidate-e2e', role: 'candidate' | 'proctor' = 'candidate') =>
  signDevelopmentToken({ userId, role, orgId: 'org-e2e', secret: SECRET });

async function call(method: string, url: string, bearer: string | undefined, body?: FormData | object) {
  const headers: Record<string, string> = bearer ? { authorization: `Bearer ${bearer}` } : {};
  let payload: RequestInit['body'];
  if (body instanceof FormData) payload = body;
  else if (body) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const response = await fetch(`${gatewayUrl}${url}`, { method, headers, body: payload });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

const chunkForm = (sessionId: string, index: number, bytes: Buffer) => {
  const form = new FormData();
  form.append('session_id', sessionId);
  form.append('chunk_index', String(index));
  form.append('start_time', String(index * CHUNK_SEC));
  form.append('audio_chunk', new Blob([bytes], { type: 'audio/webm;codecs=opus' }), `chunk_${index}.webm`);
  return form;
};

function collect<E extends keyof ServerToClientEvents>(socket: Socket<ServerToClientEvents, ClientToServerEvents>, event: E) {
  const seen: Parameters<ServerToClientEvents[E]>[0][] = [];
  socket.on(event as never, ((payload: Parameters<ServerToClientEvents[E]>[0]) => seen.push(payload)) as never);
  return seen;
}

async function until<T>(check: () => T | undefined | false, timeoutMs: number, what: string): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('a candidate session end to end', () => {
  it('uploads three real opus chunks, streams each analysis live, rejects bad uploads without trace, and completes', async () => {
    const candidate = await token();
    const created = await call('POST', '/api/audio/sessions', candidate, { test_session_id: 'exam-e2e', metadata: { watch_phrases: ['calculator'] } });
    expect(created.status).toBe(201);
    const sessionId = created.body.id as string;

    const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(gatewayUrl, { auth: { token: candidate }, transports: ['websocket'], reconnection: false });
    const uploadedEvents = collect(socket, 'chunk_uploaded');
    const processedEvents = collect(socket, 'chunk_processed');
    const completedEvents = collect(socket, 'session_completed');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    const ack = await socket.timeout(5_000).emitWithAck('subscribe', { session_id: sessionId });
    expect(ack).toEqual({ ok: true });

    // Another candidate may not listen in.
    const intruder: Socket<ServerToClientEvents, ClientToServerEvents> = io(gatewayUrl, { auth: { token: await token('someone-else') }, transports: ['websocket'], reconnection: false });
    await new Promise<void>((resolve, reject) => {
      intruder.once('connect', resolve);
      intruder.once('connect_error', reject);
    });
    expect(await intruder.timeout(5_000).emitWithAck('subscribe', { session_id: sessionId })).toEqual({ ok: false, code: 'FORBIDDEN' });
    intruder.close();

    for (const [index, bytes] of chunks.entries()) {
      const uploaded = await call('POST', '/api/audio/upload-chunk', candidate, chunkForm(sessionId, index, bytes));
      expect(uploaded.status).toBe(201);
    }

    // Bad uploads: each gets its 4xx with a stable code and leaves nothing behind.
    const badCases: [string, Promise<{ status: number; body: Record<string, any> }>, number, string][] = [
      ['duplicate', call('POST', '/api/audio/upload-chunk', candidate, chunkForm(sessionId, 0, chunks[0]!)), 200, ''],
      ['conflicting bytes', call('POST', '/api/audio/upload-chunk', candidate, chunkForm(sessionId, 1, chunks[2]!)), 409, 'CHUNK_CONFLICT'],
      ['oversize', call('POST', '/api/audio/upload-chunk', candidate, chunkForm(sessionId, 5, Buffer.concat([chunks[0]!, Buffer.alloc(MAX_CHUNK_BYTES)]))), 413, 'PAYLOAD_TOO_LARGE'],
      ['non-audio', call('POST', '/api/audio/upload-chunk', candidate, chunkForm(sessionId, 6, Buffer.from('MZ\x90\x00 definitely an executable'))), 415, 'UNSUPPORTED_MEDIA'],
      ['unauthorised', call('POST', '/api/audio/upload-chunk', undefined, chunkForm(sessionId, 7, chunks[0]!)), 401, 'UNAUTHENTICATED'],
      ['another candidate', call('POST', '/api/audio/upload-chunk', await token('someone-else'), chunkForm(sessionId, 8, chunks[0]!)), 403, 'FORBIDDEN'],
      ['malformed index', call('POST', '/api/audio/upload-chunk', candidate, chunkForm(sessionId, -3, chunks[0]!)), 400, 'VALIDATION'],
    ];
    for (const [label, pending, status, code] of badCases) {
      const result = await pending;
      expect({ label, status: result.status }).toEqual({ label, status });
      if (code) expect({ label, code: result.body.code }).toEqual({ label, code });
    }

    const processed = await until(() => processedEvents.length >= 3 && processedEvents, 120_000, 'three chunk_processed events');
    expect(uploadedEvents.map((event) => event.chunk_index).sort()).toEqual([0, 1, 2]);
    expect(processed.map((event: ChunkProcessedEvent) => event.chunk_index).sort()).toEqual([0, 1, 2]);
    for (const event of processed) {
      expect(event.processing_status).toBe('completed');
      expect(Math.abs(event.duration_seconds! - CHUNK_SEC)).toBeLessThan(0.5);
      // A few seconds of speech in 30 s of silence.
      expect(event.voice_activity_ratio).toBeGreaterThan(0.05);
      expect(event.voice_activity_ratio).toBeLessThan(0.5);
      expect(event.speaker_count).toBe(1);
    }

    const completed = await call('POST', '/api/audio/session-complete', candidate, { session_id: sessionId, total_chunks: 3 });
    expect(completed.status).toBe(200);
    const done: SessionCompletedEvent = await until(() => completedEvents[0], 60_000, 'session_completed');
    expect(done).toMatchObject({ session_id: sessionId, status: 'completed', processed_chunks: 3, missing_chunk_indexes: [] });

    const proctorView = await call('GET', `/api/audio/sessions/${sessionId}`, await token('proctor-1', 'proctor'));
    expect(proctorView.status).toBe(200);
    expect(proctorView.body).toMatchObject({ status: 'completed', total_chunks: 3, uploaded_chunks: 3 });
    expect(proctorView.body.total_duration_seconds).toBeCloseTo(3 * CHUNK_SEC, 0);
    const rows = proctorView.body.chunks as { chunk_index: number; s3_key: string; content_sha256: string; processing_status: string }[];
    expect(rows.map((row) => row.chunk_index)).toEqual([0, 1, 2]);
    for (const row of rows) {
      expect(row.processing_status).toBe('completed');
      const stored = await storage.getBytes(row.s3_key);
      expect(sha256Hex(stored)).toBe(sha256Hex(chunks[row.chunk_index]!));
      expect(row.content_sha256).toBe(sha256Hex(chunks[row.chunk_index]!));
    }
    for (const index of [5, 6, 7, 8]) {
      expect(await storage.exists(`audio/${sessionId}/chunk_${String(index).padStart(4, '0')}.webm`)).toBe(false);
    }
    // The duplicate queued no second analysis: exactly one chunk_processed per index.
    expect(processedEvents).toHaveLength(3);
    socket.close();
  }, 240_000);
});
