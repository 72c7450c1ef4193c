import { DomainError, sessionBaseKey, type CreateSessionBody, type Principal, type Session } from '@earshot/contracts';
import type { SessionDeps } from './ports';
import { toSessionDto } from './session.mapper';

export async function createSession(deps: Pick<SessionDeps, 'sessions' | 'live'>, principal: Principal, input: CreateSessionBody): Promise<Session> {
  if (principal.role !== 'candidate') throw new DomainError('FORBIDDEN', 'Only candidates record sessions');
  const row = await deps.sessions.create({
    orgId: principal.orgId,
    userId: principal.userId,
    testSessionId: input.test_session_id,
    metadata: input.metadata ?? {},
    s3BaseKeyFor: sessionBaseKey,
  });
  await deps.live.record(row.id, { status: row.status, user_id: row.userId, org_id: row.orgId, uploaded_chunks: 0 });
  return toSessionDto(row, 0);
}
