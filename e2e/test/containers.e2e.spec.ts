import { signDevelopmentToken } from '@earshot/auth';
import type { SessionWithChunks } from '@earshot/contracts';
import { createS3Storage, type ObjectStorage } from '@earshot/storage';
import { makeSpeechChunkIn, sha256Hex, startStack, type ChunkContainer, type Stack } from '@earshot/testing';

/**
 * Every container a browser records in, through the whole stack: stored under a key with its own extension,
 * and analysed. An MP4 whose index (moov) follows the data cannot be decoded from a pipe; it must still be.
 */
const SECRET = 'containers-e2e-secret';
const CHUNK_SEC = 30;
// Long enough speech that the MP4's data runs past ffmpeg's pipe buffer before its index (about 190 KB).
const TEXT =
  'Question four. Explain how the heart moves blood through the body. The right side of the heart receives blood from the body and pumps it ' +
  'to the lungs, where it picks up oxygen. The left side receives that blood from the lungs and pumps it out through the aorta to every ' +
  'organ, and the valves keep it flowing in one direction only.';

const CONTAINERS: [ChunkContainer, string, string][] = [
  ['webm', '.webm', 'audio/webm'],
  ['ogg', '.ogg', 'audio/ogg'],
  ['wav', '.wav', 'audio/wav'],
  ['mp4', '.mp4', 'audio/mp4'],
  ['mp4-faststart', '.mp4', 'audio/mp4'],
  ['mp4-fragmented', '.mp4', 'audio/mp4'],
];

let stack: Stack;
let storage: ObjectStorage;
let files: Buffer[];

beforeAll(async () => {
  stack = await startStack({
    jwtSecret: SECRET,
    // Transcription is not what this is about; the other stages decode the audio.
    env: {
      analyzer: { TRANSCRIBER: 'none', PHRASE_SPOTTING: 'false' },
      uploader: { MAX_CHUNK_BYTES: String(4 * 1024 * 1024) },
    },
  });
  storage = createS3Storage({ ...stack.s3, forcePathStyle: true });
  files = await Promise.all(
    CONTAINERS.map(
      async ([container]) =>
        (await makeSpeechChunkIn(container, { text: TEXT, durationSec: CHUNK_SEC, speechStartSec: 0.5 })).bytes,
    ),
  );
}, 180_000);

afterAll(async () => {
  storage?.close();
  await stack?.stop();
});

const token = () =>
  signDevelopmentToken({ userId: 'candidate-containers', role: 'candidate', orgId: 'org-containers', secret: SECRET });

async function call(
  method: string,
  path: string,
  body?: FormData | object,
): Promise<{ status: number; body: Record<string, any> }> {
  const headers: Record<string, string> = { authorization: `Bearer ${await token()}` };
  let payload: RequestInit['body'];
  if (body instanceof FormData) payload = body;
  else if (body) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const response = await fetch(`${stack.url}${path}`, { method, headers, body: payload });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

describe('chunks in every recorder container', () => {
  it('are stored under their own extension and analysed, MP4 with its index last included', async () => {
    const created = await call('POST', '/api/audio/sessions', { test_session_id: 'exam-containers' });
    expect(created.status).toBe(201);
    const sessionId = created.body.id as string;

    for (const [index, [container, extension, contentType]] of CONTAINERS.entries()) {
      const form = new FormData();
      form.append('session_id', sessionId);
      form.append('chunk_index', String(index));
      form.append('start_time', String(index * CHUNK_SEC));
      form.append('audio_chunk', new Blob([files[index]!], { type: 'application/octet-stream' }), `chunk${extension}`);
      const uploaded = await call('POST', '/api/audio/upload-chunk', form);
      expect({ container, status: uploaded.status }).toEqual({ container, status: 201 });
      expect({ container, key: uploaded.body.chunk.s3_key, type: uploaded.body.chunk.content_type }).toEqual({
        container,
        // chunk_{index}_{attempt}.{extension}: the attempt is 16 hex digits of the upload's claim token.
        key: expect.stringMatching(
          new RegExp(`^audio/${sessionId}/chunk_${String(index).padStart(4, '0')}_[0-9a-f]{16}\\${extension}$`),
        ),
        type: contentType,
      });
    }

    const deadline = Date.now() + 150_000;
    let session: SessionWithChunks;
    for (;;) {
      session = (await call('GET', `/api/audio/sessions/${sessionId}`)).body as SessionWithChunks;
      if (
        session.chunks.every((chunk) => chunk.processing_status === 'completed' || chunk.processing_status === 'failed')
      )
        break;
      if (Date.now() > deadline)
        throw new Error(
          `analysis did not finish: ${JSON.stringify(session.chunks.map((chunk) => chunk.processing_status))}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    for (const [index, [container]] of CONTAINERS.entries()) {
      const chunk = session.chunks[index]!;
      expect({ container, status: chunk.processing_status, reason: chunk.failure_reason }).toEqual({
        container,
        status: 'completed',
        reason: null,
      });
      expect({ container, durationOff: Math.abs(chunk.duration_seconds! - CHUNK_SEC) < 0.5 }).toEqual({
        container,
        durationOff: true,
      });
      expect({ container, speech: chunk.voice_activity_ratio! > 0.2 }).toEqual({ container, speech: true });
      expect(sha256Hex(await storage.getBytes(chunk.s3_key))).toBe(sha256Hex(files[index]!));
    }
  }, 240_000);
});
