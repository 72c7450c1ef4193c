import type { Server as HttpServer } from 'node:http';
import type { Redis } from 'ioredis';
import { createAdapter } from '@socket.io/redis-adapter';
import { Server, type Socket } from 'socket.io';
import { bearerToken, type TokenVerifier } from '@earshot/auth';
import { ROOMS, SOCKET_COMMANDS, type ClientToServerEvents, type Principal, type ServerToClientEvents, type SubscribeAck } from '@earshot/contracts';
import { createSubscribeBudget, type SubscribeLimit } from './subscribe-budget';
import { sessionIdOf, subscribeToSession, type AuthorizeSubscription } from './subscribe-to-session';

interface SocketData {
  principal: Principal;
  /** Kept only to ask the uploader on the caller's behalf; never logged. */
  token: string;
}

export type NotifierServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
type NotifierSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

export interface SocketServerDeps {
  verifyToken: TokenVerifier;
  authorizeSubscription: AuthorizeSubscription;
  /** Subscribes each socket may send per window (config SUBSCRIBE_RATE_LIMIT / SUBSCRIBE_RATE_WINDOW_MS). */
  subscribeLimit: SubscribeLimit;
  /** Redis clients for the adapter (one publishes, one subscribes); owned by the caller. */
  redis: { pub: Redis; sub: Redis };
  /** Pub/sub key shared with every publisher (libs/events). Default 'socket.io'. */
  adapterKey?: string;
  log: { warn(object: object, message: string): void };
}

const MAX_CLIENT_MESSAGE_BYTES = 16 * 1024;

/** The error a refused handshake carries: clients read `message` (or `data.code`). */
const unauthenticated = (): Error & { data: { code: 'UNAUTHENTICATED' } } =>
  Object.assign(new Error('UNAUTHENTICATED'), { data: { code: 'UNAUTHENTICATED' as const } });

/** Token from `io(url, { auth: { token } })`, else from an `Authorization: Bearer` header. */
function handshakeToken(socket: NotifierSocket): string {
  const fromAuth = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
  if (typeof fromAuth === 'string' && fromAuth.length > 0) return fromAuth.replace(/^Bearer\s+/i, '');
  return bearerToken(socket.handshake.headers.authorization);
}

/**
 * socket.io on the given HTTP server. It relays what services publish through Redis (adapter + emitter) to
 * the rooms clients joined, and decides nothing else: who may see a session is the uploader's answer.
 */
export function attachSocketServer(httpServer: HttpServer, deps: SocketServerDeps): NotifierServer {
  const io: NotifierServer = new Server(httpServer, {
    serveClient: false,
    // Clients only send small commands; anything bigger is refused by the transport.
    maxHttpBufferSize: MAX_CLIENT_MESSAGE_BYTES,
    adapter: createAdapter(deps.redis.pub, deps.redis.sub, { key: deps.adapterKey ?? 'socket.io' }),
  });

  io.use((socket, next) => {
    let token: string;
    try {
      token = handshakeToken(socket);
    } catch {
      return next(unauthenticated());
    }
    deps.verifyToken(token).then(
      (principal) => {
        socket.data = { principal, token };
        disconnectAtExpiry(socket, token);
        next();
      },
      () => next(unauthenticated()),
    );
  });

  io.on('connection', (socket) => {
    const { principal } = socket.data;
    // Proctors and admins follow their whole organisation (dashboards).
    if (principal.role !== 'candidate') void socket.join(ROOMS.org(principal.orgId));

    // Each subscribe costs a question to the uploader: a socket gets a budget, counted before anything else.
    const takeSubscribe = createSubscribeBudget(deps.subscribeLimit);
    socket.on(SOCKET_COMMANDS.subscribe, (request, ack) => {
      const admission = takeSubscribe();
      if (admission !== 'allowed') {
        if (typeof ack === 'function') ack({ ok: false, code: 'RATE_LIMITED' });
        if (admission === 'disconnect') {
          deps.log.warn({ userId: principal.userId }, 'socket disconnected: far beyond its subscribe budget');
          socket.disconnect(true);
        }
        return;
      }
      if (typeof ack !== 'function') return;
      subscribeToSession(
        { authorizeSubscription: deps.authorizeSubscription, onAuthorizerError: (error) => deps.log.warn({ err: errorSummary(error) }, 'subscription check failed') },
        socket.data,
        request,
      )
        .then(async ({ ack: result, sessionId }) => {
          if (result.ok && sessionId && socket.connected) await socket.join(ROOMS.session(sessionId));
          ack(result);
        })
        .catch((error: unknown) => {
          deps.log.warn({ err: errorSummary(error) }, 'subscribe failed');
          ack({ ok: false, code: 'UNAVAILABLE' });
        });
    });

    socket.on(SOCKET_COMMANDS.unsubscribe, (request, ack?: (result: SubscribeAck) => void) => {
      const sessionId = sessionIdOf(request);
      if (sessionId) void socket.leave(ROOMS.session(sessionId));
      if (typeof ack === 'function') ack(sessionId ? { ok: true } : { ok: false, code: 'VALIDATION' });
    });
  });

  return io;
}

/** Longest delay setTimeout takes (about 24.8 days); later expiries need no timer in practice. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * An expired token must not keep a stream of exam events open: the server disconnects the socket at the
 * token's `exp`, and the client reconnects with a fresh token. The token was verified just before, so its
 * payload is read without a second verification.
 */
function disconnectAtExpiry(socket: NotifierSocket, token: string): void {
  const expSec = expiryOf(token);
  if (expSec === undefined) return;
  const delayMs = expSec * 1000 - Date.now();
  if (delayMs > MAX_TIMER_MS) return;
  const timer = setTimeout(() => socket.disconnect(true), Math.max(0, delayMs));
  timer.unref();
  socket.once('disconnect', () => clearTimeout(timer));
}

function expiryOf(token: string): number | undefined {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof payload.exp === 'number' ? payload.exp : undefined;
  } catch {
    return undefined;
  }
}

const errorSummary = (error: unknown): { message: string } => ({ message: error instanceof Error ? error.message : String(error) });
