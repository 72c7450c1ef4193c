import type { AuthorizeSubscription } from './subscribe-to-session';

export interface UploaderAuthorizerOptions {
  /** Base URL of the uploader, e.g. http://127.0.0.1:3101. */
  uploaderUrl: string;
  /** Time limit of one check. Default 3000 ms. */
  timeoutMs?: number;
}

/**
 * Asks the uploader, which owns sessions and their access rules, with the caller's own token, on its cheap
 * access endpoint (one row read, a three-field answer; not the session with every chunk's analysis):
 * 200 → ok, 403 → FORBIDDEN, 404 → NOT_FOUND; anything else (or no answer) throws.
 */
export function createUploaderAuthorizer(options: UploaderAuthorizerOptions): AuthorizeSubscription {
  const timeoutMs = options.timeoutMs ?? 3_000;
  return async (_principal, token, sessionId) => {
    const response = await fetch(`${options.uploaderUrl}/api/audio/sessions/${encodeURIComponent(sessionId)}/access`, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      signal: AbortSignal.timeout(timeoutMs),
    });
    // Only the verdict is needed, not the body.
    await response.body?.cancel();
    if (response.status === 200) return 'ok';
    if (response.status === 403) return 'FORBIDDEN';
    if (response.status === 404) return 'NOT_FOUND';
    throw new Error(`uploader answered ${response.status} to a session check`);
  };
}
