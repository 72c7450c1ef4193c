import httpProxy from '@fastify/http-proxy';
import type { FastifyInstance } from 'fastify';
import { upstreamPoolOptions, upstreamReplyOptions } from './upstream';

export interface SocketRoutesOptions {
  notifierUrl: string;
  upstreamKeepAliveTimeoutMs: number;
}

export const SOCKET_PATH = '/socket.io';

/**
 * `/socket.io/*` → notifier, long-polling and websocket upgrade alike. No token check here: socket.io clients
 * send the token inside the handshake, and the notifier refuses the connection itself.
 */
export async function socketRoutes(app: FastifyInstance, options: SocketRoutesOptions): Promise<void> {
  await app.register(httpProxy, {
    prefix: SOCKET_PATH,
    upstream: options.notifierUrl,
    undici: upstreamPoolOptions(options.upstreamKeepAliveTimeoutMs),
    rewritePrefix: SOCKET_PATH,
    websocket: true,
    disableRequestLogging: true,
    replyOptions: upstreamReplyOptions('notifier'),
    wsClientOptions: {
      // ws forwards only cookies by default; native clients may authenticate with a header instead.
      rewriteRequestHeaders: (headers: Record<string, string>, request: { headers: Record<string, string | string[] | undefined>; id: string }) => {
        const { authorization, cookie } = request.headers;
        return {
          ...headers,
          'x-request-id': request.id,
          ...(typeof authorization === 'string' ? { authorization } : {}),
          ...(typeof cookie === 'string' ? { cookie } : {}),
        };
      },
    } as object,
  });
}
