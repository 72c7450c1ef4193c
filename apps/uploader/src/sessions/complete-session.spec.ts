import { DomainError, type JobName, type Principal } from '@earshot/contracts';
import type { AudioSessionRow, SessionChunkCounts } from '@earshot/db';
import { completeSession } from './complete-session';
import type { SessionDeps } from './ports';

const candidate: Principal = { userId: 'cand-1', role: 'candidate', orgId: 'org-1' };
const sessionId = '8a4c6f0e-1d2b-4c3a-9e8f-7a6b5c4d3e2f';

function fakes(status: AudioSessionRow['status'], counts: SessionChunkCounts, totalChunks: number | null = null) {
  let row = {
    id: sessionId,
    userId: 'cand-1',
    orgId: 'org-1',
    status,
    totalChunks,
    startTime: new Date(),
    endTime: null,
    createdAt: new Date(),
    updatedAt: new Date(),
    metadata: {},
    summary: null,
    missingChunkIndexes: [],
    failureReason: null,
    s3BaseKey: '',
    testSessionId: 't',
    totalDurationSeconds: null,
    streamLostAt: null,
    streamGaps: [],
    abandonedAt: null,
  } as AudioSessionRow;
  const queued: JobName[] = [];
  const deps = {
    sessions: {
      findById: async () => row,
      markProcessing: async (_id: string, total: number) =>
        row.status === 'recording' ? (row = { ...row, status: 'processing', totalChunks: total }) : undefined,
    },
    chunks: { countBySession: async () => counts },
    queue: { enqueue: async (name: JobName) => void queued.push(name) },
    live: { record: async () => undefined },
  } as unknown as Pick<SessionDeps, 'sessions' | 'chunks' | 'queue' | 'live'>;
  return { deps, queued };
}

describe('completeSession', () => {
  it('moves a recording session to processing and queues the summary when every chunk is analysed', async () => {
    const { deps, queued } = fakes('recording', { uploaded: 3, processed: 2, failed: 1 });
    const session = await completeSession(deps, candidate, { session_id: sessionId, total_chunks: 3 });
    expect(session).toMatchObject({ status: 'processing', total_chunks: 3, uploaded_chunks: 3 });
    expect(queued).toEqual(['session.summary']);
  });

  it('queues the summary even while chunks are still being analysed (it re-checks and waits)', async () => {
    const { deps, queued } = fakes('recording', { uploaded: 3, processed: 1, failed: 0 });
    await completeSession(deps, candidate, { session_id: sessionId, total_chunks: 3 });
    expect(queued).toEqual(['session.summary']);
  });

  it('fixes the total once: a repeat while processing returns the session, another total is a CONFLICT', async () => {
    const { deps, queued } = fakes('recording', { uploaded: 2, processed: 0, failed: 0 });
    await completeSession(deps, candidate, { session_id: sessionId, total_chunks: 3 });
    await expect(completeSession(deps, candidate, { session_id: sessionId, total_chunks: 3 })).resolves.toMatchObject({
      status: 'processing',
      total_chunks: 3,
    });
    const error = await completeSession(deps, candidate, { session_id: sessionId, total_chunks: 5 }).catch(
      (caught: unknown) => caught,
    );
    expect((error as DomainError).code).toBe('CONFLICT');
    expect(queued).toEqual(['session.summary']);
  });

  it('answers a repeated call on a finished session with the session, and a different total with CONFLICT', async () => {
    const { deps, queued } = fakes('completed', { uploaded: 3, processed: 3, failed: 0 }, 3);
    await expect(completeSession(deps, candidate, { session_id: sessionId, total_chunks: 3 })).resolves.toMatchObject({
      status: 'completed',
    });
    const error = await completeSession(deps, candidate, { session_id: sessionId, total_chunks: 4 }).catch(
      (caught: unknown) => caught,
    );
    expect((error as DomainError).code).toBe('CONFLICT');
    expect(queued).toEqual([]);
  });

  it('refuses a proctor: only the candidate finishes its recording', async () => {
    const { deps } = fakes('recording', { uploaded: 0, processed: 0, failed: 0 });
    const error = await completeSession(
      deps,
      { userId: 'p', role: 'proctor', orgId: 'org-1' },
      { session_id: sessionId, total_chunks: 0 },
    ).catch((caught: unknown) => caught);
    expect((error as DomainError).code).toBe('FORBIDDEN');
  });
});
