import type { Principal, SubscribeAck } from '@earshot/contracts';

export type SubscriptionVerdict = 'ok' | 'FORBIDDEN' | 'NOT_FOUND';

/**
 * Port: may this caller see this session? The notifier never reads business tables; the adapter asks the
 * service that owns sessions. Throws when it cannot tell (the subscription is then refused as UNAVAILABLE).
 */
export type AuthorizeSubscription = (principal: Principal, token: string, sessionId: string) => Promise<SubscriptionVerdict>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The session id of a `subscribe`/`unsubscribe` request, or undefined when the request is malformed. */
export function sessionIdOf(request: unknown): string | undefined {
  const sessionId = (request as { session_id?: unknown } | null | undefined)?.session_id;
  return typeof sessionId === 'string' && UUID.test(sessionId) ? sessionId.toLowerCase() : undefined;
}

export interface SubscribeDeps {
  authorizeSubscription: AuthorizeSubscription;
  onAuthorizerError?: (error: unknown) => void;
}

/** Decides a `subscribe` request. The caller joins the session's room only on `{ ok: true }`. */
export async function subscribeToSession(
  deps: SubscribeDeps,
  caller: { principal: Principal; token: string },
  request: unknown,
): Promise<{ ack: SubscribeAck; sessionId?: string }> {
  const sessionId = sessionIdOf(request);
  if (!sessionId) return { ack: { ok: false, code: 'VALIDATION' } };
  let verdict: SubscriptionVerdict;
  try {
    verdict = await deps.authorizeSubscription(caller.principal, caller.token, sessionId);
  } catch (error) {
    deps.onAuthorizerError?.(error);
    return { ack: { ok: false, code: 'UNAVAILABLE' } };
  }
  switch (verdict) {
    case 'ok':
      return { ack: { ok: true }, sessionId };
    case 'FORBIDDEN':
    case 'NOT_FOUND':
      return { ack: { ok: false, code: verdict } };
  }
}
