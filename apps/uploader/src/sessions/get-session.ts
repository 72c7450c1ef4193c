import type { Principal, SessionWithChunks } from '@earshot/contracts';
import { loadSession } from './load-session';
import type { SessionDeps } from './ports';
import { toChunkDto, toSessionDto } from './session.mapper';

export async function getSession(deps: Pick<SessionDeps, 'sessions' | 'chunks'>, principal: Principal, sessionId: string): Promise<SessionWithChunks> {
  const session = await loadSession(deps, principal, sessionId, 'read');
  const chunks = await deps.chunks.listBySession(sessionId);
  const uploaded = chunks.filter((chunk) => chunk.uploadStatus === 'uploaded');
  return { ...toSessionDto(session, uploaded.length), chunks: uploaded.map(toChunkDto) };
}
