import type { ClientToServerEvents, ServerToClientEvents, SubscribeAck } from '@earshot/contracts';
import { io, type Socket } from 'socket.io-client';
import type { GetToken } from './api-client';

export interface LiveEventsOptions {
  baseUrl: string;
  getToken: GetToken;
  sessionId: string;
  handlers: Partial<ServerToClientEvents>;
  /** After every (re)connection and subscription: a chance to fetch what was missed while disconnected. */
  onSubscribed?: () => void;
  onError(message: string, code?: string): void;
}

/**
 * socket.io through the gateway (`/socket.io/` on the same origin by default). Subscribes to the session on
 * every (re)connection, since a new connection has joined no room; the token is fetched for each handshake.
 */
export function connectLiveEvents(options: LiveEventsOptions): { close(): void } {
  const auth = (callback: (data: object) => void) => {
    Promise.resolve(options.getToken()).then(
      (token) => callback({ token }),
      () => callback({}),
    );
  };
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = options.baseUrl
    ? io(options.baseUrl, { auth })
    : io({ auth });
  for (const [event, handler] of Object.entries(options.handlers))
    socket.on(event as keyof ServerToClientEvents, handler);
  socket.on('connect', () => {
    socket
      .timeout(10_000)
      .emitWithAck('subscribe', { session_id: options.sessionId })
      .then((ack: SubscribeAck) => {
        if (ack.ok) options.onSubscribed?.();
        else options.onError(`subscription refused (${ack.code})`, ack.code);
      })
      .catch((error: unknown) => options.onError(error instanceof Error ? error.message : String(error)));
  });
  socket.on('connect_error', (error) => {
    // socket.io retries by itself unless the server refused the handshake (e.g. a bad token).
    if (!socket.active) options.onError(error.message, 'UNAUTHENTICATED');
  });
  return { close: () => socket.close() };
}
