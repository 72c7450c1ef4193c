import {
  createChunksRepository,
  createDatabase,
  createSessionsRepository,
  createTestDatabase,
  type DatabaseHandle,
  type TestDatabase,
} from '../src';

let testDb: TestDatabase;
let handle: DatabaseHandle;

beforeAll(async () => {
  testDb = await createTestDatabase();
  handle = createDatabase({ url: testDb.url, maxConnections: 5 });
});
afterAll(async () => {
  await handle.close();
  await testDb.drop();
});

const newSession = () =>
  createSessionsRepository(handle.db).create({
    orgId: 'org-1',
    userId: 'user-1',
    testSessionId: 'exam-1',
    metadata: { browser: 'x' },
    s3BaseKeyFor: (id) => `audio/${id}/`,
  });

const claimInput = (sessionId: string, chunkIndex: number, staleBefore = new Date(Date.now() - 60_000)) => ({
  claimToken: crypto.randomUUID(),
  sessionId,
  chunkIndex,
  startTimeSeconds: chunkIndex * 30,
  durationSeconds: 30,
  s3Key: `audio/${sessionId}/chunk_${chunkIndex}.webm`,
  contentType: 'audio/webm',
  staleBefore,
});

describe('sessions and chunks repositories (real PostgreSQL)', () => {
  it('creates a session with defaults and its object prefix', async () => {
    const session = await newSession();
    expect(session.status).toBe('recording');
    expect(session.s3BaseKey).toBe(`audio/${session.id}/`);
    expect(session.missingChunkIndexes).toEqual([]);
  });

  it('lets exactly one of many concurrent requests claim a chunk index', async () => {
    const session = await newSession();
    const results = await Promise.all(
      Array.from({ length: 8 }, () => createChunksRepository(handle.db).claim(claimInput(session.id, 0))),
    );
    expect(results.filter((result) => result.claimed)).toHaveLength(1);
  });

  it('takes over a stale receiving claim but not a fresh one', async () => {
    const chunks = createChunksRepository(handle.db);
    const session = await newSession();
    const first = await chunks.claim(claimInput(session.id, 1));
    expect(first.claimed).toBe(true);
    const fresh = await chunks.claim(claimInput(session.id, 1));
    expect(fresh.claimed).toBe(false);
    const staleInput = { ...claimInput(session.id, 1, new Date(Date.now() + 60_000)), s3Key: 'other-attempt' };
    const stale = await chunks.claim(staleInput);
    expect(stale.claimed).toBe(true);
    if (!stale.claimed || !first.claimed) throw new Error('expected claims');
    expect(stale.takenOverKey).toBe(first.chunk.s3Key);
    // The first attempt is fenced out: it can neither mark the chunk uploaded nor release the new claim.
    const firstToken = (first.chunk as { claimToken: string | null }).claimToken!;
    expect(
      await chunks.markUploaded(first.chunk.id, firstToken, { fileSizeBytes: 1, contentSha256: 'cd'.repeat(32) }),
    ).toBeUndefined();
    await chunks.releaseClaim(first.chunk.id, firstToken);
    const row = await chunks.markUploaded(stale.chunk.id, staleInput.claimToken, {
      fileSizeBytes: 2,
      contentSha256: 'ef'.repeat(32),
    });
    expect(row).toMatchObject({ uploadStatus: 'uploaded', s3Key: 'other-attempt', fileSizeBytes: 2, claimToken: null });
  });

  it('claims nothing new once the session is no longer recording', async () => {
    const chunks = createChunksRepository(handle.db);
    const sessions = createSessionsRepository(handle.db);
    const session = await newSession();
    await sessions.markProcessing(session.id, 1);
    expect(await chunks.claim(claimInput(session.id, 0))).toEqual({ claimed: false, closed: true });
    expect(await chunks.find(session.id, 0)).toBeUndefined();
  });

  it('merges stage results into analysis_results and counts progress', async () => {
    const chunks = createChunksRepository(handle.db);
    const session = await newSession();
    const input = claimInput(session.id, 2);
    const claim = await chunks.claim(input);
    if (!claim.claimed) throw new Error('expected a claim');
    await chunks.markUploaded(claim.chunk.id, input.claimToken, {
      fileSizeBytes: 1234,
      contentSha256: 'ab'.repeat(32),
    });
    await chunks.saveStageResult(session.id, 2, {
      stage: 'vad',
      result: { ratio: 0.5 },
      columns: { voiceActivityRatio: 0.5 },
    });
    const row = await chunks.saveStageResult(session.id, 2, { stage: 'decode', result: { durationSec: 30 } });
    expect(row?.analysisResults).toEqual({ vad: { ratio: 0.5 }, decode: { durationSec: 30 } });
    expect(row?.voiceActivityRatio).toBe(0.5);
    expect((await chunks.markProcessed(session.id, 2))?.processingStatus).toBe('completed');
    expect(await chunks.countBySession(session.id)).toEqual({ uploaded: 1, processed: 1, failed: 0 });
    // Final: a job delivered again (its worker died before acknowledging) cannot finish the chunk twice.
    expect(await chunks.markProcessed(session.id, 2)).toBeUndefined();
    expect(await chunks.markFailed(session.id, 2, 'late failure')).toBeUndefined();
    expect((await chunks.find(session.id, 2))?.processingStatus).toBe('completed');
  });

  it('releases an unfinished claim, and deleting a session cascades to its chunks', async () => {
    const chunks = createChunksRepository(handle.db);
    const session = await newSession();
    const input = claimInput(session.id, 3);
    const claim = await chunks.claim(input);
    if (!claim.claimed) throw new Error('expected a claim');
    await chunks.releaseClaim(claim.chunk.id, crypto.randomUUID()); // not the holder: nothing happens
    expect(await chunks.find(session.id, 3)).toBeDefined();
    await chunks.releaseClaim(claim.chunk.id, input.claimToken);
    expect(await chunks.find(session.id, 3)).toBeUndefined();
    await chunks.claim(claimInput(session.id, 4));
    await handle.db.execute(`delete from audio_sessions where id = '${session.id}'`);
    expect(await chunks.listBySession(session.id)).toEqual([]);
  });

  it('moves a session to processing and finishes it once', async () => {
    const sessions = createSessionsRepository(handle.db);
    const session = await newSession();
    expect((await sessions.markProcessing(session.id, 3))?.status).toBe('processing');
    const outcome = {
      status: 'completed' as const,
      totalDurationSeconds: 90,
      missingChunkIndexes: [1],
      summary: {},
      failureReason: null,
    };
    expect((await sessions.finish(session.id, outcome))?.missingChunkIndexes).toEqual([1]);
    expect(await sessions.finish(session.id, outcome)).toBeUndefined();
    expect(await sessions.markProcessing(session.id, 3)).toBeUndefined();
  });

  it('lists recording sessions silent since a cut-off by their last chunk activity, and closes one only while silent', async () => {
    const sessions = createSessionsRepository(handle.db);
    const chunks = createChunksRepository(handle.db);
    const idle = await newSession();
    const busy = await newSession();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const cutOff = new Date();
    await chunks.claim(claimInput(busy.id, 0));

    const listed = (await sessions.listRecordingActivity(cutOff, 1000)).map((row) => row.id);
    expect(listed).toContain(idle.id);
    expect(listed).not.toContain(busy.id);
    expect(await sessions.markStreamLost(busy.id, cutOff)).toBeUndefined();
    expect(await sessions.abandon(busy.id, cutOff)).toBeUndefined();
    expect(await sessions.abandon(idle.id, cutOff)).toMatchObject({ status: 'processing', totalChunks: 0, abandonedAt: expect.any(Date) });
    expect(await sessions.abandon(idle.id, cutOff)).toBeUndefined();
  });

  it('removes a stale receiving claim only while it is still stale', async () => {
    const chunks = createChunksRepository(handle.db);
    const session = await newSession();
    const claim = await chunks.claim(claimInput(session.id, 0));
    if (!claim.claimed) throw new Error('not claimed');
    expect(await chunks.removeStaleClaim(claim.chunk.id, new Date(Date.now() - 60_000))).toBeUndefined();
    const staleBefore = new Date(Date.now() + 1_000);
    expect((await chunks.listStaleClaims(staleBefore, 1000)).map((row) => row.id)).toContain(claim.chunk.id);
    expect(await chunks.removeStaleClaim(claim.chunk.id, staleBefore)).toMatchObject({ id: claim.chunk.id, s3Key: claim.chunk.s3Key });
    expect(await chunks.find(session.id, 0)).toBeUndefined();
  });
});
