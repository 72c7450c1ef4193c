/** How many `subscribe` commands one socket may send per window. */
export interface SubscribeLimit {
  perWindow: number;
  windowMs: number;
}

/** A socket that sends this many budgets' worth in one window is not a page reconnecting: it is dropped. */
export const DISCONNECT_AT_BUDGETS = 3;

export type SubscribeAdmission = 'allowed' | 'refused' | 'disconnect';

/**
 * One socket's budget of subscribes, in fixed windows: within the budget a subscribe is answered, past it
 * refused (RATE_LIMITED) without asking the uploader, and at DISCONNECT_AT_BUDGETS times it the socket is
 * disconnected. A page subscribes once per session it shows, again after a reconnect.
 */
export function createSubscribeBudget(limit: SubscribeLimit, now: () => number = Date.now): () => SubscribeAdmission {
  let windowStartMs = Number.NEGATIVE_INFINITY;
  let count = 0;
  return () => {
    const at = now();
    if (at - windowStartMs >= limit.windowMs) {
      windowStartMs = at;
      count = 0;
    }
    count += 1;
    if (count <= limit.perWindow) return 'allowed';
    return count >= limit.perWindow * DISCONNECT_AT_BUDGETS ? 'disconnect' : 'refused';
  };
}
