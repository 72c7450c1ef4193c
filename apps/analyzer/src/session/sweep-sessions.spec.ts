import { createRecordingPublisher } from '@earshot/events';
import type { JobName, JobPayloads } from '@earshot/contracts';
import { sweepSessions, type SweepDeps, type SweepOptions } from './sweep-sessions';

const NOW = new Date('2026-12-06T10:00:00.000Z');
const secondsAgo = (seconds: number) => new Date(NOW.getTime() - seconds * 1000);
const OPTIONS: SweepOptions = { inactivitySec: 180, abandonSec: 1800, claimStaleMs: 60_000, batchSize: 100 };

interface FakeSession {
  id: string;
  orgId: string;
  status: string;
  lastActivityAt: Date;
  streamLostAt: Date | null;
  resumedAt: Date | null;
  abandonedAt: Date | null;
  streamGaps: { lost_at: string; restored_at: string }[];
}
interface FakeClaim {
  id: string;
  sessionId: string;
  s3Key: string;
  uploadStatus: 'receiving' | 'uploaded';
  updatedAt: Date;
}

/** In-memory stand-ins that keep the conditions the real repositories check in SQL. */
function createFakes(sessions: FakeSession[], claims: FakeClaim[], failingKeys: string[] = []) {
  const deletedKeys: string[] = [];
  const enqueued: { name: JobName; payload: unknown }[] = [];
  const events = createRecordingPublisher();
  const find = (id: string) => sessions.find((session) => session.id === id);
  const deps = {
    now: () => NOW,
    events,
    storage: {
      delete: async (key: string) => {
        if (failingKeys.includes(key)) throw new Error('S3 down');
        deletedKeys.push(key);
      },
    },
    queue: {
      enqueue: async <N extends JobName>(name: N, payload: JobPayloads[N]) => void enqueued.push({ name, payload }),
    },
    chunks: {
      listStaleClaims: async (staleBefore: Date) =>
        claims.filter((claim) => claim.uploadStatus === 'receiving' && claim.updatedAt < staleBefore),
      removeStaleClaim: async (id: string, staleBefore: Date) => {
        const index = claims.findIndex(
          (claim) => claim.id === id && claim.uploadStatus === 'receiving' && claim.updatedAt < staleBefore,
        );
        return index < 0 ? undefined : claims.splice(index, 1)[0];
      },
    },
    sessions: {
      findById: async (id: string) => find(id),
      listRecordingActivity: async (idleBefore: Date) =>
        sessions.filter(
          (session) => session.status === 'recording' && (session.streamLostAt || session.lastActivityAt < idleBefore),
        ),
      markStreamLost: async (id: string, idleBefore: Date) => {
        const session = find(id);
        if (!session || session.status !== 'recording' || session.streamLostAt || session.lastActivityAt >= idleBefore)
          return undefined;
        session.streamLostAt = session.lastActivityAt;
        return session;
      },
      markStreamRestored: async (id: string, lostAt: Date, restoredAt: Date) => {
        const session = find(id);
        if (session?.streamLostAt?.getTime() !== lostAt.getTime()) return undefined;
        session.streamLostAt = null;
        session.resumedAt = null;
        session.streamGaps.push({ lost_at: lostAt.toISOString(), restored_at: restoredAt.toISOString() });
        return session;
      },
      abandon: async (id: string, idleBefore: Date) => {
        const session = find(id);
        if (!session || session.status !== 'recording' || session.lastActivityAt >= idleBefore) return undefined;
        session.status = 'processing';
        session.abandonedAt = NOW;
        return session;
      },
    },
  } as unknown as SweepDeps;
  return { deps, deletedKeys, enqueued, events: events.events };
}

const aSession = (id: string, silentSec: number, extra: Partial<FakeSession> = {}): FakeSession => ({
  id,
  orgId: 'org-1',
  status: 'recording',
  lastActivityAt: secondsAgo(silentSec),
  streamLostAt: null,
  resumedAt: null,
  abandonedAt: null,
  streamGaps: [],
  ...extra,
});

describe('sweepSessions', () => {
  it('reports a silent stream once per gap, to the session and its org, and leaves an uploading session alone', async () => {
    const sessions = [aSession('silent', 200), aSession('uploading', 20)];
    const fakes = createFakes(sessions, []);

    const first = await sweepSessions(fakes.deps, OPTIONS);
    const second = await sweepSessions(fakes.deps, OPTIONS);

    expect(first).toMatchObject({ streamsLost: 1, sessionsAbandoned: 0 });
    expect(second).toMatchObject({ streamsLost: 0, sessionsAbandoned: 0 });
    expect(fakes.events).toEqual([
      {
        event: 'session_stream_lost',
        target: { sessionId: 'silent', orgId: 'org-1' },
        payload: {
          session_id: 'silent',
          status: 'recording',
          lost_at: secondsAgo(200).toISOString(),
          detected_at: NOW.toISOString(),
          inactivity_seconds: 180,
          abandon_at: new Date(secondsAgo(200).getTime() + 1_800_000).toISOString(),
        },
      },
    ]);
    expect(sessions[1]).toMatchObject({ status: 'recording', streamLostAt: null });
    expect(fakes.enqueued).toEqual([]);
  });

  it('closes the gap when a chunk arrives again, keeping when the stream was lost and when it came back', async () => {
    const lostAt = secondsAgo(400);
    const resumedAt = secondsAgo(10);
    const sessions = [aSession('back', 10, { streamLostAt: lostAt, resumedAt })];
    const fakes = createFakes(sessions, []);

    expect(await sweepSessions(fakes.deps, OPTIONS)).toMatchObject({ streamsRestored: 1, streamsLost: 0 });

    expect(fakes.events).toEqual([
      expect.objectContaining({
        event: 'session_stream_restored',
        payload: {
          session_id: 'back',
          status: 'recording',
          lost_at: lostAt.toISOString(),
          restored_at: resumedAt.toISOString(),
          gap_seconds: 390,
        },
      }),
    ]);
    expect(sessions[0]).toMatchObject({
      streamLostAt: null,
      streamGaps: [{ lost_at: lostAt.toISOString(), restored_at: resumedAt.toISOString() }],
    });
  });

  it('closes a session silent past the abandon delay once, reporting the lost stream first, and queues its summary', async () => {
    const sessions = [aSession('gone', 2000)];
    const fakes = createFakes(sessions, []);

    expect(await sweepSessions(fakes.deps, OPTIONS)).toMatchObject({
      streamsLost: 1,
      sessionsAbandoned: 1,
      summariesQueued: 1,
    });
    expect(await sweepSessions(fakes.deps, OPTIONS)).toMatchObject({
      streamsLost: 0,
      sessionsAbandoned: 0,
      summariesQueued: 0,
    });

    expect(fakes.events.map((event) => event.event)).toEqual(['session_stream_lost']);
    expect(sessions[0]).toMatchObject({ status: 'processing', abandonedAt: NOW });
    expect(fakes.enqueued).toEqual([{ name: 'session.summary', payload: { v: 1, sessionId: 'gone' } }]);
  });

  it('removes dead claims and their objects, queueing one summary for a processing session only', async () => {
    const sessions = [aSession('done', 0, { status: 'processing' }), aSession('live', 5)];
    const claims: FakeClaim[] = [
      {
        id: 'c1',
        sessionId: 'done',
        s3Key: 'audio/done/chunk_0003_a.webm',
        uploadStatus: 'receiving',
        updatedAt: secondsAgo(90),
      },
      {
        id: 'c2',
        sessionId: 'done',
        s3Key: 'audio/done/chunk_0004_b.webm',
        uploadStatus: 'receiving',
        updatedAt: secondsAgo(61),
      },
      {
        id: 'c3',
        sessionId: 'live',
        s3Key: 'audio/live/chunk_0007_c.webm',
        uploadStatus: 'receiving',
        updatedAt: secondsAgo(120),
      },
      {
        id: 'c4',
        sessionId: 'live',
        s3Key: 'audio/live/chunk_0008_d.webm',
        uploadStatus: 'receiving',
        updatedAt: secondsAgo(30),
      },
      {
        id: 'c5',
        sessionId: 'done',
        s3Key: 'audio/done/chunk_0001_e.webm',
        uploadStatus: 'uploaded',
        updatedAt: secondsAgo(900),
      },
    ];
    const fakes = createFakes(sessions, claims, ['audio/live/chunk_0007_c.webm']);

    const report = await sweepSessions(fakes.deps, OPTIONS);

    expect(report).toMatchObject({
      claimsRemoved: 3,
      summariesQueued: 1,
      objectsNotDeleted: ['audio/live/chunk_0007_c.webm'],
    });
    expect(claims.map((claim) => claim.id)).toEqual(['c4', 'c5']);
    expect(fakes.deletedKeys).toEqual(['audio/done/chunk_0003_a.webm', 'audio/done/chunk_0004_b.webm']);
    expect(fakes.enqueued).toEqual([{ name: 'session.summary', payload: { v: 1, sessionId: 'done' } }]);
  });
});
