import type { Principal, SessionAccess } from '@earshot/contracts';
import { loadSession } from './load-session';
import type { SessionDeps } from './ports';

/**
 * May the caller read this session, and whose is it? One row read and the same rule as getSession, without
 * the chunks: what the notifier asks before every subscription.
 */
export async function getSessionAccess(deps: Pick<SessionDeps, 'sessions'>, principal: Principal, sessionId: string): Promise<SessionAccess> {
  const session = await loadSession(deps, principal, sessionId, 'read');
  return { session_id: session.id, user_id: session.userId, org_id: session.orgId };
}
