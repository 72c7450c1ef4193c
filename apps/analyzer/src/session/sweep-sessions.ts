import type { AnalyzerDeps } from '../ports';

export interface SweepOptions {
  /** A recording session silent this long gets `session_stream_lost` (SESSION_INACTIVITY_SEC). */
  inactivitySec: number;
  /** A recording session silent this long is closed and summarised as `abandoned` (SESSION_ABANDON_SEC). */
  abandonSec: number;
  /** A 'receiving' claim not refreshed this long belongs to a dead upload process (CLAIM_STALE_MS). */
  claimStaleMs: number;
  /** Rows handled per kind and run; the rest wait for the next run (SESSION_SWEEP_BATCH_SIZE). */
  batchSize: number;
}

export type SweepDeps = Pick<AnalyzerDeps, 'sessions' | 'chunks' | 'storage' | 'queue' | 'events' | 'now'>;

export interface SweepReport {
  claimsRemoved: number;
  /** Objects of removed claims whose deletion failed: left under the session's prefix, harmless but unreferenced. */
  objectsNotDeleted: string[];
  summariesQueued: number;
  streamsLost: number;
  streamsRestored: number;
  sessionsAbandoned: number;
}

/**
 * One pass of the session watch, run periodically by a job scheduler:
 * 1. claims left 'receiving' by a dead upload process are removed with their attempt's object, and a session
 *    already `processing` gets its summary queued (the summary waits while a claim is receiving, and nobody
 *    else would queue it again);
 * 2. a recording session whose stream came back after a `session_stream_lost` gets `session_stream_restored`;
 * 3. a recording session silent for `inactivitySec` gets `session_stream_lost`, once per gap;
 * 4. one silent for `abandonSec` is closed (`processing` with `abandoned_at`) and its summary queued, which
 *    ends it as `abandoned` once its chunks are analysed.
 * Every write re-checks its condition in the database, so concurrent or repeated runs do each thing once.
 */
export async function sweepSessions(deps: SweepDeps, options: SweepOptions): Promise<SweepReport> {
  const now = deps.now();
  const report: SweepReport = {
    claimsRemoved: 0,
    objectsNotDeleted: [],
    summariesQueued: 0,
    streamsLost: 0,
    streamsRestored: 0,
    sessionsAbandoned: 0,
  };
  const toSummarise = new Set<string>();

  const staleBefore = new Date(now.getTime() - options.claimStaleMs);
  for (const claim of await deps.chunks.listStaleClaims(staleBefore, options.batchSize)) {
    const removed = await deps.chunks.removeStaleClaim(claim.id, staleBefore);
    if (!removed) continue; // refreshed, taken over or stored since it was listed
    report.claimsRemoved += 1;
    try {
      await deps.storage.delete(removed.s3Key);
    } catch {
      report.objectsNotDeleted.push(removed.s3Key);
    }
    const session = await deps.sessions.findById(removed.sessionId);
    if (session?.status === 'processing') toSummarise.add(session.id);
  }

  const idleBefore = new Date(now.getTime() - options.inactivitySec * 1000);
  const abandonBefore = new Date(now.getTime() - options.abandonSec * 1000);
  for (const session of await deps.sessions.listRecordingActivity(idleBefore, options.batchSize)) {
    const target = { sessionId: session.id, orgId: session.orgId };
    const { streamLostAt: lostAt, resumedAt } = session;
    if (lostAt && resumedAt) {
      const restored = await deps.sessions.markStreamRestored(session.id, lostAt, resumedAt);
      if (restored) {
        report.streamsRestored += 1;
        deps.events.publish('session_stream_restored', target, {
          session_id: session.id,
          status: restored.status,
          lost_at: lostAt.toISOString(),
          restored_at: resumedAt.toISOString(),
          gap_seconds: (resumedAt.getTime() - lostAt.getTime()) / 1000,
        });
      }
      continue; // silent again: the next run opens a new gap
    }
    if (session.lastActivityAt >= idleBefore) continue;
    if (!lostAt) {
      const lost = await deps.sessions.markStreamLost(session.id, idleBefore);
      if (lost?.streamLostAt) {
        report.streamsLost += 1;
        deps.events.publish('session_stream_lost', target, {
          session_id: session.id,
          status: lost.status,
          lost_at: lost.streamLostAt.toISOString(),
          detected_at: now.toISOString(),
          inactivity_seconds: options.inactivitySec,
          abandon_at: new Date(lost.streamLostAt.getTime() + options.abandonSec * 1000).toISOString(),
        });
      }
    }
    if (session.lastActivityAt < abandonBefore) {
      const closed = await deps.sessions.abandon(session.id, abandonBefore);
      if (closed) {
        report.sessionsAbandoned += 1;
        toSummarise.add(session.id);
      }
    }
  }

  for (const sessionId of toSummarise) {
    await deps.queue.enqueue('session.summary', { v: 1, sessionId });
    report.summariesQueued += 1;
  }
  return report;
}
