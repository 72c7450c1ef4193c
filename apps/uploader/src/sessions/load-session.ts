import { canReadSession, canWriteSession } from '@earshot/auth';
import { DomainError, type Principal } from '@earshot/contracts';
import type { AudioSessionRow } from '@earshot/db';
import type { SessionDeps } from './ports';

/** Loads a session the caller may read (or write), else NOT_FOUND / FORBIDDEN. */
export async function loadSession(
  deps: Pick<SessionDeps, 'sessions'>,
  principal: Principal,
  sessionId: string,
  access: 'read' | 'write',
): Promise<AudioSessionRow> {
  const session = await deps.sessions.findById(sessionId);
  if (!session) throw new DomainError('NOT_FOUND', `Session ${sessionId} does not exist`);
  const allowed = access === 'read' ? canReadSession(principal, session) : canWriteSession(principal, session);
  if (!allowed) throw new DomainError('FORBIDDEN', `You may not ${access} session ${sessionId}`);
  return session;
}
