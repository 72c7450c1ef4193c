import { DomainError, type CompleteSessionBody, type Principal, type Session } from '@earshot/contracts';
import type { AudioSessionRow } from '@earshot/db';
import { loadSession } from './load-session';
import type { SessionDeps } from './ports';
import { toSessionDto } from './session.mapper';

/**
 * The candidate declares how many chunks it recorded; the session moves to `processing`, once: the total is
 * fixed by the first completion, and a repeat with the same total returns the session as it is (another total
 * is a CONFLICT). Completion is ordered with uploads by the database (see `markProcessing`): a chunk upload
 * in flight at that moment is waited for by the summary, and later uploads get SESSION_CLOSED.
 *
 * The summary job is queued here and again by whatever finishes later (the last chunk's analysis, a failed
 * upload): it re-checks the state each time and completes the session once.
 */
export async function completeSession(
  deps: Pick<SessionDeps, 'sessions' | 'chunks' | 'queue' | 'live'>,
  principal: Principal,
  input: CompleteSessionBody,
): Promise<Session> {
  const session = await loadSession(deps, principal, input.session_id, 'write');
  if (session.status !== 'recording') return alreadyCompleted(deps, session, input.total_chunks);
  const updated = await deps.sessions.markProcessing(session.id, input.total_chunks);
  if (!updated) {
    // Another completion won the race: answer as a repeat of it.
    const current = await deps.sessions.findById(session.id);
    if (!current) throw new DomainError('NOT_FOUND', `No session ${session.id}`);
    return alreadyCompleted(deps, current, input.total_chunks);
  }
  await deps.queue.enqueue('session.summary', { v: 1, sessionId: session.id });
  await deps.live.record(session.id, { status: updated.status, total_chunks: input.total_chunks });
  const counts = await deps.chunks.countBySession(session.id);
  return toSessionDto(updated, counts.uploaded);
}

async function alreadyCompleted(
  deps: Pick<SessionDeps, 'chunks'>,
  session: AudioSessionRow,
  totalChunks: number,
): Promise<Session> {
  if (session.totalChunks !== totalChunks) {
    throw new DomainError('CONFLICT', `Session already ${session.status} with total_chunks ${session.totalChunks}`, {
      total_chunks: session.totalChunks,
    });
  }
  const counts = await deps.chunks.countBySession(session.id);
  return toSessionDto(session, counts.uploaded);
}
