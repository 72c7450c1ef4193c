import type { FastifyHttpProxyOptions } from '@fastify/http-proxy';
import type { FastifyReply } from 'fastify';
import { sendProblem } from '@earshot/http';

/**
 * Reply options shared by every proxied route: how the request goes out and how a failed upstream comes back.
 * The client sees one stable 503 problem; which service failed and why stays in the gateway's log.
 */
export const upstreamReplyOptions = (service: string): NonNullable<FastifyHttpProxyOptions['replyOptions']> => ({
  rewriteRequestHeaders: (request, headers) => {
    const forwarded = { ...headers, 'x-request-id': request.id };
    // undici refuses `Expect: 100-continue` (curl sends it for large bodies); Node already answered it.
    delete forwarded.expect;
    return forwarded;
  },
  // No retries at the edge: a retried upload would re-send a body we no longer have; clients retry.
  retryDelay: () => null,
  onError: (reply, { error }) => {
    reply.log.warn({ upstream: service, err: { message: error.message, code: (error as { code?: string }).code } }, 'upstream failed');
    // The unread rest of the request body would keep the connection busy: close it after this answer.
    if (!reply.request.raw.complete) void reply.header('connection', 'close');
    sendProblem(reply as FastifyReply, 'UNAVAILABLE', 'The service behind the gateway is unavailable; retry later');
  },
});

/**
 * Connection pool options towards an upstream: idle connections close after `keepAliveTimeoutMs`, whatever
 * the upstream's own hint says, so the gateway lets go of a connection before the upstream does.
 */
export const upstreamPoolOptions = (keepAliveTimeoutMs: number) => ({ keepAliveTimeout: keepAliveTimeoutMs, keepAliveMaxTimeout: keepAliveTimeoutMs });

/** GET {url}/health within timeoutMs, for /ready. */
export async function probeHealth(baseUrl: string, timeoutMs = 1_500): Promise<void> {
  const response = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(timeoutMs) });
  await response.body?.cancel();
  if (!response.ok) throw new Error(`health answered ${response.status}`);
}
