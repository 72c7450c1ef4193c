import { Readable } from 'node:stream';
import { createTestDatabase, type TestDatabase } from '@earshot/db';
import { createRecordingPublisher } from '@earshot/events';
import { createJobProducer, type WorkerSet } from '@earshot/queue';
import { makeSpeechChunk, sha256Hex, startTestS3Server, TEST_REDIS_URL, uniquePrefix, type TestS3Server } from '@earshot/testing';
import { JOB_NAMES, chunkObjectKey } from '@earshot/contracts';
import { loadConfig } from '../src/config';
import { createAnalyzerRuntime } from '../src/deps';
import { startAnalyzer } from '../src/worker';

let db: TestDatabase;
let s3: TestS3Server;
let runtime: Awaited<ReturnType<typeof createAnalyzerRuntime>>;
let workers: WorkerSet;
let producer: ReturnType<typeof createJobProducer>;
let env: Record<string, string>;
const publisher = createRecordingPublisher();

beforeAll(async () => {
  [db, s3] = await Promise.all([createTestDatabase(), startTestS3Server()]);
  const prefix = uniquePrefix('analyzer');
  env = {
    DATABASE_URL: db.url,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: prefix,
    S3_ENDPOINT: s3.endpoint,
    S3_BUCKET: 'analyzer-spec',
    LOG_LEVEL: 'silent',
    // Low enough that a long chunk stays quick to make and decode in a test.
    MAX_CHUNK_DURATION_SEC: '20',
  };
  runtime = await createAnalyzerRuntime(loadConfig(env));
  await runtime.deps.storage.ensureBucket();
  runtime.deps.events = publisher;
  workers = startAnalyzer({
    deps: runtime.deps,
    redisUrl: TEST_REDIS_URL,
    queuePrefix: prefix,
    stages: JOB_NAMES,
    policyOverrides: { 'chunk.vad': { backoffMs: 50 } },
  });
  producer = createJobProducer({ redisUrl: TEST_REDIS_URL, prefix });
}, 60_000);

afterAll(async () => {
  await workers?.close();
  await producer?.close();
  await runtime?.close();
  await Promise.all([db?.drop(), s3?.close()]);
});

/** Stores a chunk as the uploader would: object in S3, row marked uploaded. */
async function storeChunk(sessionId: string, chunkIndex: number, bytes: Buffer, declaredDurationSec: number | null = null) {
  const key = chunkObjectKey(sessionId, chunkIndex, 'test', 'webm');
  await runtime.deps.storage.putStream(key, Readable.from([bytes]), 'audio/webm');
  const claimToken = crypto.randomUUID();
  const claim = await runtime.deps.chunks.claim({
    claimToken,
    sessionId,
    chunkIndex,
    startTimeSeconds: chunkIndex * 30,
    durationSeconds: declaredDurationSec,
    s3Key: key,
    contentType: 'audio/webm',
    staleBefore: new Date(0),
  });
  if (!claim.claimed) throw new Error('chunk exists');
  await runtime.deps.chunks.markUploaded(claim.chunk.id, claimToken, { fileSizeBytes: bytes.length, contentSha256: sha256Hex(bytes) });
  await producer.enqueue('chunk.vad', { v: 1, sessionId, chunkIndex });
}

async function waitForChunk(sessionId: string, chunkIndex: number, timeoutMs = 60_000) {
  const started = Date.now();
  for (;;) {
    const chunk = await runtime.deps.chunks.find(sessionId, chunkIndex);
    if (chunk && (chunk.processingStatus === 'completed' || chunk.processingStatus === 'failed')) return chunk;
    if (Date.now() - started > timeoutMs) throw new Error(`chunk ${chunkIndex} still ${chunk?.processingStatus}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('analyzer stages (real Postgres, Redis, S3, ffmpeg, Silero VAD, pocketsphinx)', () => {
  it('loads only the engines of the stages it runs (ANALYZER_STAGES)', async () => {
    expect(runtime.engineKinds).toEqual(['vad', 'speakers', 'transcriber', 'wakeSpotter']);
    const vadAndScore = await createAnalyzerRuntime(loadConfig({ ...env, ANALYZER_STAGES: 'chunk.vad,chunk.score' }));
    const transcribeOnly = await createAnalyzerRuntime(loadConfig({ ...env, ANALYZER_STAGES: 'chunk.transcribe' }));
    const loadedKinds = (r: typeof runtime) => r.engineKinds;
    try {
      expect(loadedKinds(vadAndScore)).toEqual(['vad']);
      expect(loadedKinds(transcribeOnly)).toEqual(['transcriber', 'wakeSpotter']);
    } finally {
      await Promise.all([vadAndScore.close(), transcribeOnly.close()]);
    }
  });

  it('runs vad → speakers → transcribe → score on a real chunk and summarises the session', async () => {
    const session = await runtime.deps.sessions.create({
      orgId: 'org-1',
      userId: 'cand-1',
      testSessionId: 'exam-1',
      metadata: { watch_phrases: ['chemistry answer'] },
      s3BaseKeyFor: (id) => `audio/${id}/`,
    });
    const { bytes } = await makeSpeechChunk({ text: 'Hey Siri, what is the capital of France?', durationSec: 10, speechStartSec: 2 });
    await storeChunk(session.id, 0, bytes);
    const broken = Buffer.concat([Buffer.from([0x1a, 0x45, 0xdf, 0xa3]), Buffer.alloc(2000, 7)]);
    await storeChunk(session.id, 1, broken);

    const chunk = await waitForChunk(session.id, 0);
    expect(chunk.failureReason).toBeNull();
    expect(chunk.processingStatus).toBe('completed');
    expect(chunk.durationSeconds).toBeGreaterThan(9.5);
    expect(chunk.durationSeconds).toBeLessThan(10.5);
    expect(chunk.endTimeSeconds).toBeCloseTo(chunk.durationSeconds!, 5);
    // About 2.5 s of speech in 10 s.
    expect(chunk.voiceActivityRatio).toBeGreaterThan(0.1);
    expect(chunk.voiceActivityRatio).toBeLessThan(0.6);
    expect(chunk.speakerCount).toBe(1);
    expect(chunk.transcription).toEqual(expect.any(String));
    // Recognition accuracy is measured by `npm run eval`; here: every stage ran and its result landed.
    expect(chunk.suspiciousActivityScore).toBeGreaterThanOrEqual(0);
    expect(chunk.suspiciousActivityScore).toBeLessThanOrEqual(1);
    expect(Object.keys(chunk.analysisResults).sort()).toEqual(['score', 'speakers', 'transcribe', 'vad']);
    expect(chunk.analysisResults.vad).toMatchObject({ engine: 'silero-v5', speechSegments: expect.any(Array) });
    expect(chunk.analysisResults.transcribe).toMatchObject({ transcript: { engine: 'pocketsphinx' }, phrases: expect.any(Array) });
    expect(chunk.analysisResults.score).toMatchObject({ flags: expect.any(Array) });

    const failed = await waitForChunk(session.id, 1);
    expect(failed.processingStatus).toBe('failed');
    expect(failed.failureReason).toMatch(/chunk.vad: audio could not be decoded/);

    const processed = publisher.events.filter((event) => event.event === 'chunk_processed');
    expect(processed.map((event) => (event.payload as { chunk_index: number }).chunk_index).sort()).toEqual([0, 1]);

    await runtime.deps.sessions.markProcessing(session.id, 3);
    await producer.enqueue('session.summary', { v: 1, sessionId: session.id });
    const started = Date.now();
    let done = await runtime.deps.sessions.findById(session.id);
    while (done?.status !== 'completed' && Date.now() - started < 20_000) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      done = await runtime.deps.sessions.findById(session.id);
    }
    expect(done?.status).toBe('completed');
    expect(done?.missingChunkIndexes).toEqual([2]);
    expect(done?.totalDurationSeconds).toBeCloseTo(chunk.durationSeconds!, 5);
    expect(done?.summary).toMatchObject({ analysedChunks: 1, failedChunks: 1, flagged: expect.any(Boolean), priorityScore: expect.any(Number) });
    const completed = publisher.events.find((event) => event.event === 'session_completed');
    expect(completed?.payload).toMatchObject({ session_id: session.id, missing_chunk_indexes: [2], processed_chunks: 1, failed_chunks: 1 });
  }, 90_000);

  it('fails a chunk holding more audio than MAX_CHUNK_DURATION_SEC with CHUNK_TOO_LONG, and flags a declared duration that does not match', async () => {
    const session = await runtime.deps.sessions.create({
      orgId: 'org-1',
      userId: 'cand-2',
      testSessionId: 'exam-2',
      metadata: {},
      s3BaseKeyFor: (id) => `audio/${id}/`,
    });
    // 45 s of audio in a chunk the upload calls 10 s: more than the test's 20 s maximum.
    const long = await makeSpeechChunk({ text: 'I will read you question one and you tell me the answer.', durationSec: 45, speechStartSec: 1 });
    await storeChunk(session.id, 0, long.bytes, 10);
    // 15 s of audio declared as 5 s: within the maximum, analysed, but flagged.
    const forged = await makeSpeechChunk({ text: 'Okay, I am ready.', durationSec: 15, speechStartSec: 1 });
    await storeChunk(session.id, 1, forged.bytes, 5);

    const tooLong = await waitForChunk(session.id, 0);
    expect(tooLong.processingStatus).toBe('failed');
    expect(tooLong.failureReason).toMatch(/^chunk\.vad: CHUNK_TOO_LONG: audio lasts more than 20 s/);

    const flagged = await waitForChunk(session.id, 1);
    expect(flagged.processingStatus).toBe('completed');
    expect(flagged.durationSeconds).toBeGreaterThan(14.5);
    expect(flagged.analysisResults.vad).toMatchObject({ declaredDurationSec: 5 });
    const flags = (flagged.analysisResults.score as { flags: Array<{ type: string; evidence: string }> }).flags;
    expect(flags).toContainEqual(
      expect.objectContaining({ type: 'duration_mismatch', evidence: expect.stringMatching(/declared 5 s/) }),
    );
  }, 90_000);
});
