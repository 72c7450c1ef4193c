import { Readable } from 'node:stream';
import { createTestDatabase, type TestDatabase } from '@earshot/db';
import { createRecordingPublisher } from '@earshot/events';
import { createJobProducer, type WorkerSet } from '@earshot/queue';
import { startTestS3Server, TEST_REDIS_URL, uniquePrefix, type TestS3Server } from '@earshot/testing';
import { chunkObjectKey, type EventName } from '@earshot/contracts';
import { loadConfig } from '../src/config';
import { createAnalyzerRuntime } from '../src/deps';
import { startAnalyzer } from '../src/worker';

/**
 * The session sweep on the real stack, with short delays: stream lost after 1 s of silence, abandoned after
 * 3 s, upload claims dead after 1 s, a sweep every 200 ms.
 */
let db: TestDatabase;
let s3: TestS3Server;
let runtime: Awaited<ReturnType<typeof createAnalyzerRuntime>>;
let second: Awaited<ReturnType<typeof createAnalyzerRuntime>>;
let workers: WorkerSet;
let producer: ReturnType<typeof createJobProducer>;
const publisher = createRecordingPublisher();

beforeAll(async () => {
  [db, s3] = await Promise.all([createTestDatabase(), startTestS3Server()]);
  const prefix = uniquePrefix('sweep');
  const env = {
    DATABASE_URL: db.url,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: prefix,
    S3_ENDPOINT: s3.endpoint,
    S3_BUCKET: 'sweep-spec',
    LOG_LEVEL: 'silent',
    ANALYZER_STAGES: 'session.summary,session.sweep',
    SESSION_SWEEP_INTERVAL_MS: '200',
    SESSION_INACTIVITY_SEC: '1',
    SESSION_ABANDON_SEC: '3',
    CLAIM_STALE_MS: '1000',
  };
  const config = loadConfig(env);
  runtime = await createAnalyzerRuntime(config);
  second = await createAnalyzerRuntime(config);
  await runtime.deps.storage.ensureBucket();
  runtime.deps.events = publisher;
  workers = startAnalyzer({ deps: runtime.deps, redisUrl: TEST_REDIS_URL, queuePrefix: prefix, stages: config.stages });
  // Two analyzer processes start: each upserts the scheduler.
  await Promise.all([runtime.scheduleSweep(), second.scheduleSweep(), runtime.scheduleSweep()]);
  producer = createJobProducer({ redisUrl: TEST_REDIS_URL, prefix });
}, 60_000);

afterAll(async () => {
  await workers?.close();
  await producer?.close();
  await Promise.all([runtime?.close(), second?.close()]);
  await Promise.all([db?.drop(), s3?.close()]);
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 15_000,
): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const eventsOf = (sessionId: string, name?: EventName) =>
  publisher.events.filter(
    (event) => (event.payload as { session_id: string }).session_id === sessionId && (!name || event.event === name),
  );

const newSession = () =>
  runtime.deps.sessions.create({
    orgId: 'org-sweep',
    userId: 'cand-1',
    testSessionId: 'exam-1',
    metadata: {},
    s3BaseKeyFor: (id) => `audio/${id}/`,
  });

/** A chunk claimed as the uploader would, its object stored; `finish` also marks it uploaded and analysed. */
async function addChunk(sessionId: string, chunkIndex: number, finish = true) {
  const key = chunkObjectKey(sessionId, chunkIndex, crypto.randomUUID(), 'webm');
  const claimToken = crypto.randomUUID();
  const claim = await runtime.deps.chunks.claim({
    claimToken,
    sessionId,
    chunkIndex,
    startTimeSeconds: chunkIndex * 30,
    durationSeconds: 30,
    s3Key: key,
    contentType: 'audio/webm',
    staleBefore: new Date(0),
  });
  if (!claim.claimed) throw new Error(`chunk ${chunkIndex} not claimed`);
  await runtime.deps.storage.putStream(key, Readable.from([Buffer.from('webm bytes')]), 'audio/webm');
  if (finish) {
    await runtime.deps.chunks.markUploaded(claim.chunk.id, claimToken, { fileSizeBytes: 10, contentSha256: 'ab' });
    await runtime.deps.chunks.saveStageResult(sessionId, chunkIndex, {
      stage: 'vad',
      result: {},
      columns: { durationSeconds: 30 },
    });
    await runtime.deps.chunks.markProcessed(sessionId, chunkIndex);
  }
  return key;
}

describe('session sweep (real Postgres, Redis, S3)', () => {
  it('keeps exactly one sweep scheduler however many analyzer processes start', async () => {
    expect(await producer.schedulers('session.sweep')).toEqual([{ id: 'session.sweep', everyMs: 200 }]);
  });

  it('reports a silent session lost, then closes it as abandoned with a summary, once; a session that keeps uploading is untouched', async () => {
    const silent = await newSession();
    const busy = await newSession();
    let uploading = true;
    const uploads = (async () => {
      for (let index = 0; uploading; index += 1) {
        await addChunk(busy.id, index);
        await sleep(300);
      }
    })();
    await addChunk(silent.id, 0);
    await addChunk(silent.id, 2); // chunk 1 never arrives

    const lost = await waitFor('stream lost', () => eventsOf(silent.id, 'session_stream_lost')[0]);
    expect(lost.target).toEqual({ sessionId: silent.id, orgId: 'org-sweep' });
    const lostRow = await runtime.deps.sessions.findById(silent.id);
    expect(lostRow).toMatchObject({ status: 'recording', streamLostAt: expect.any(Date) });
    expect(lost.payload).toMatchObject({
      status: 'recording',
      lost_at: lostRow!.streamLostAt!.toISOString(),
      inactivity_seconds: 1,
    });

    const done = await waitFor('abandoned', async () => {
      const row = await runtime.deps.sessions.findById(silent.id);
      return row?.status === 'abandoned' ? row : undefined;
    });
    uploading = false;
    await uploads;
    expect(done).toMatchObject({
      totalChunks: 3,
      missingChunkIndexes: [1],
      totalDurationSeconds: 60,
      abandonedAt: expect.any(Date),
    });
    expect(done.summary).toMatchObject({
      analysedChunks: 2,
      abandonedAt: done.abandonedAt!.toISOString(),
      streamGaps: [{ lost_at: lostRow!.streamLostAt!.toISOString(), restored_at: null }],
    });
    const completed = eventsOf(silent.id, 'session_completed');
    expect(completed).toHaveLength(1);
    expect(completed[0]!.payload).toMatchObject({ status: 'abandoned', missing_chunk_indexes: [1] });
    await sleep(600); // a few more sweeps: nothing is sent twice
    expect(eventsOf(silent.id).map((event) => event.event)).toEqual(['session_stream_lost', 'session_completed']);
    // Later uploads find the session closed.
    const late = await runtime.deps.chunks.claim({
      claimToken: crypto.randomUUID(),
      sessionId: silent.id,
      chunkIndex: 3,
      startTimeSeconds: 90,
      durationSeconds: 30,
      s3Key: 'x',
      contentType: 'audio/webm',
      staleBefore: new Date(0),
    });
    expect(late).toEqual({ claimed: false, closed: true });

    expect(await runtime.deps.sessions.findById(busy.id)).toMatchObject({
      status: 'recording',
      streamLostAt: null,
      abandonedAt: null,
    });
    expect(eventsOf(busy.id)).toEqual([]);
  }, 30_000);

  it('reports the stream back when chunks arrive again, and keeps the gap', async () => {
    const session = await newSession();
    await addChunk(session.id, 0);
    const lost = await waitFor('stream lost', () => eventsOf(session.id, 'session_stream_lost')[0]);
    await addChunk(session.id, 1);
    const restored = await waitFor('stream restored', () => eventsOf(session.id, 'session_stream_restored')[0]);
    const { lost_at } = lost.payload as { lost_at: string };
    const chunk1 = await runtime.deps.chunks.find(session.id, 1);
    expect(restored.payload).toMatchObject({
      status: 'recording',
      lost_at,
      restored_at: new Date(Math.floor(chunk1!.createdAt.getTime())).toISOString(),
    });
    expect(await runtime.deps.sessions.findById(session.id)).toMatchObject({
      status: 'recording',
      streamLostAt: null,
      streamGaps: [{ lost_at, restored_at: (restored.payload as { restored_at: string }).restored_at }],
    });
  }, 30_000);

  it('removes a claim left by a dead upload process with its object, then summarises the processing session', async () => {
    const session = await newSession();
    await addChunk(session.id, 0);
    const orphanKey = await addChunk(session.id, 1, false); // its uploader died mid-body: 'receiving' forever
    await runtime.deps.sessions.markProcessing(session.id, 2);
    await producer.enqueue('session.summary', { v: 1, sessionId: session.id });
    await sleep(300);
    // The summary waits while the claim looks alive.
    expect(await runtime.deps.sessions.findById(session.id)).toMatchObject({ status: 'processing' });

    const done = await waitFor('completed', async () => {
      const row = await runtime.deps.sessions.findById(session.id);
      return row?.status === 'completed' ? row : undefined;
    });
    expect(done).toMatchObject({ missingChunkIndexes: [1], abandonedAt: null });
    expect(await runtime.deps.chunks.find(session.id, 1)).toBeUndefined();
    expect(await runtime.deps.storage.exists(orphanKey)).toBe(false);
    expect((await runtime.deps.chunks.find(session.id, 0))?.uploadStatus).toBe('uploaded');
    expect(eventsOf(session.id, 'session_completed')).toHaveLength(1);
  }, 30_000);
});
