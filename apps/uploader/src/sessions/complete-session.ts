import { DomainError, type CompleteSessionBody, type Principal, type Session } from '@earshot/contracts';
import { loadSession } from './load-session';
import type { SessionDeps } from './ports';
import { toSessionDto } from './session.mapper';

/**
 * The candidate declares how many chunks it recorded; the session moves to `processing`. The summary job is
 * queued here and also by the analyzer when the last chunk finishes: whichever sees the other's write queues
 * it, and its deterministic id makes the second enqueue a no-op.
 */
export async function completeSession(
  deps: Pick<SessionDeps, 'sessions' | 'chunks' | 'queue' | 'live'>,
  principal: Principal,
  input: CompleteSessionBody,
): Promise<Session> {
  const session = await loadSession(deps, principal, input.session_id, 'write');
  if (session.status === 'completed' || session.status === 'failed') {
    if (session.totalChunks !== input.total_chunks) {
      throw new DomainError('CONFLICT', `Session already ${session.status} with total_chunks ${session.totalChunks}`);
    }
    const counts = await deps.chunks.countBySession(session.id);
    return toSessionDto(session, counts.uploaded);
  }
  const updated = await deps.sessions.markProcessing(session.id, input.total_chunks);
  if (!updated) throw new DomainError('CONFLICT', 'The session changed state; read it again');
  const counts = await deps.chunks.countBySession(session.id);
  if (counts.processed + counts.failed >= counts.uploaded) {
    await deps.queue.enqueue('session.summary', { v: 1, sessionId: session.id });
  }
  await deps.live.record(session.id, { status: updated.status, total_chunks: input.total_chunks });
  return toSessionDto(updated, counts.uploaded);
}
