import type { FastifyHttpProxyOptions } from '@fastify/http-proxy';
import type { FastifyReply } from 'fastify';
import { Readable } from 'node:stream';
import { Pool, type Dispatcher } from 'undici';
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
    reply.log.warn(
      { upstream: service, err: { message: error.message, code: (error as { code?: string }).code } },
      'upstream failed',
    );
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

/**
 * The connection pool to one upstream, with one rule on top: a request whose body stops before it is complete
 * (the client went away, or the gateway closed the client's connection after an early answer such as a 403 on
 * a 10 MiB upload) aborts its upstream exchange, which destroys that connection. Reusing it made the next
 * user's request wait behind the unread rest of the body until a timeout, then fail with 503. A body sent in
 * full keeps the connection reusable: the upstream reads (and discards) whatever it did not need.
 */
export function createUpstreamDispatcher(url: string, poolOptions: Pool.Options = {}): Dispatcher {
  return new Pool(url, { connections: 128, ...poolOptions }).compose((dispatch) => (request, handler) => {
    const body = request.body;
    if (!(body instanceof Readable)) return dispatch(request, handler);
    let abort: ((reason: Error) => void) | undefined;
    let pendingReason: Error | undefined;
    const onClose = () => {
      const complete = (body as Readable & { complete?: boolean }).complete ?? body.readableEnded;
      if (complete) return;
      const reason = new Error('the client request body ended before it was complete');
      if (abort) abort(reason);
      else pendingReason = reason;
    };
    body.once('close', onClose);
    const wrapped = new Proxy(handler, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (property === 'onRequestStart' && typeof value === 'function') {
          return (controller: { abort(reason: Error): void }, context: unknown) => {
            abort = (reason) => controller.abort(reason);
            if (pendingReason) controller.abort(pendingReason);
            return (value as (...args: unknown[]) => unknown).call(target, controller, context);
          };
        }
        if (property === 'onConnect' && typeof value === 'function') {
          return (abortRequest: (reason: Error) => void, context: unknown) => {
            abort = abortRequest;
            if (pendingReason) abortRequest(pendingReason);
            return (value as (...args: unknown[]) => unknown).call(target, abortRequest, context);
          };
        }
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    return dispatch(request, wrapped);
  });
}
