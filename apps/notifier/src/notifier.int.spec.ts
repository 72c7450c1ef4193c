import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { io as connectSocket, type Socket } from 'socket.io-client';
import { signDevelopmentToken, createTokenVerifier } from '@earshot/auth';
import type { ChunkProcessedEvent, Principal, Role, ServerToClientEvents, ClientToServerEvents, SubscribeAck } from '@earshot/contracts';
import { createEventPublisher, type EventPublisher } from '@earshot/events';
import { TEST_REDIS_URL, uniquePrefix } from '@earshot/testing';
import { buildApp } from './app';
import { loadConfig } from './config';
import type { SubscriptionVerdict } from './subscribe-to-session';

const SECRET = 'notifier-test-secret';
type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

const chunkProcessed = (sessionId: string, chunkIndex: number): ChunkProcessedEvent => ({
  session_id: sessionId,
  chunk_index: chunkIndex,
  chunk_id: randomUUID(),
  processing_status: 'completed',
  duration_seconds: 30,
  end_time_seconds: 30 * (chunkIndex + 1),
  voice_activity_ratio: 0.4,
  speaker_count: 1,
  transcription: null,
  suspicious_activity_score: 0.1,
  analysis_results: {},
  failure_reason: null,
  processed_at: new Date().toISOString(),
});

describe('notifier (real Redis, two instances)', () => {
  const adapterKey = uniquePrefix('notifier');
  /** The fake authorizer's answers, per session id; calls are recorded to check what it was given. */
  const verdicts = new Map<string, SubscriptionVerdict | 'throw'>();
  const authorizerCalls: { principal: Principal; token: string; sessionId: string }[] = [];
  const instances: { app: FastifyInstance; url: string; redis: Redis[] }[] = [];
  const clients: Client[] = [];
  let publisher: EventPublisher;

  async function startInstance(subscribeLimit = loadConfig({}).subscribeLimit) {
    const pub = new Redis(TEST_REDIS_URL);
    const sub = pub.duplicate();
    const app = await buildApp({
      verifyToken: createTokenVerifier({ hs256Secret: SECRET }),
      http: loadConfig({}).http,
      subscribeLimit,
      authorizeSubscription: async (principal, token, sessionId) => {
        authorizerCalls.push({ principal, token, sessionId });
        const verdict = verdicts.get(sessionId) ?? 'NOT_FOUND';
        if (verdict === 'throw') throw new Error('uploader unreachable');
        return verdict;
      },
      redis: { pub, sub },
      adapterKey,
    });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    await sub.ping(); // the adapter's PSUBSCRIBE went first on this connection: it is active now
    instances.push({ app, url, redis: [pub, sub] });
    return url;
  }

  const token = (userId: string = randomUUID(), role: Role = 'candidate', orgId = 'org-1') => signDevelopmentToken({ userId, role, orgId, secret: SECRET });

  async function connect(url: string, options: { token?: string; headers?: Record<string, string> } = {}): Promise<Client> {
    const client: Client = connectSocket(url, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      ...(options.token ? { auth: { token: options.token } } : {}),
      ...(options.headers ? { extraHeaders: options.headers } : {}),
    });
    clients.push(client);
    await new Promise<void>((resolve, reject) => {
      client.once('connect', resolve);
      client.once('connect_error', reject);
    });
    return client;
  }

  const subscribe = (client: Client, request: unknown): Promise<SubscribeAck> =>
    client.timeout(5_000).emitWithAck('subscribe', request as { session_id: string });

  /** Collects every chunk_processed a client gets. */
  const collect = (client: Client) => {
    const received: ChunkProcessedEvent[] = [];
    client.on('chunk_processed', (event) => received.push(event));
    return received;
  };

  async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
    const started = Date.now();
    while (!condition()) {
      if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  let urlA: string;
  let urlB: string;

  beforeAll(async () => {
    urlA = await startInstance();
    urlB = await startInstance();
    publisher = createEventPublisher({ redisUrl: TEST_REDIS_URL, key: adapterKey });
  });

  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });

  afterAll(async () => {
    await publisher.close();
    for (const { app, redis } of instances) {
      await app.close();
      await Promise.all(redis.map((client) => client.quit()));
    }
  });

  it('answers /health and /ready', async () => {
    expect((await fetch(`${urlA}/health`)).status).toBe(200);
    const ready = await fetch(`${urlA}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ checks: { redis: 'ok' } });
  });

  it.each([
    ['no token', {}],
    ['a token signed with another secret', { token: 'other' }],
    ['a malformed token', { token: 'not.a.jwt' }],
    ['a malformed Authorization header', { headers: { authorization: 'Basic abc' } }],
  ])('refuses a connection with %s as UNAUTHENTICATED', async (_case, given: { token?: string; headers?: Record<string, string> }) => {
    const options =
      given.token === 'other' ? { token: await signDevelopmentToken({ userId: 'u', role: 'candidate', orgId: 'o', secret: 'other' }) } : given;
    const error = (await connect(urlA, options).then(
      () => undefined,
      (refused: unknown) => refused,
    )) as (Error & { data?: { code?: string } }) | undefined;
    expect(error?.message).toBe('UNAUTHENTICATED');
    expect(error?.data).toEqual({ code: 'UNAUTHENTICATED' });
  });

  it('accepts the token in the handshake auth or in an Authorization: Bearer header', async () => {
    const sessionId = randomUUID();
    verdicts.set(sessionId, 'ok');
    const viaAuth = await connect(urlA, { token: await token() });
    const bearer = await token('header-user');
    const viaHeader = await connect(urlA, { headers: { authorization: `Bearer ${bearer}` } });
    expect(await subscribe(viaAuth, { session_id: sessionId })).toEqual({ ok: true });
    expect(await subscribe(viaHeader, { session_id: sessionId })).toEqual({ ok: true });
    expect(authorizerCalls.at(-1)).toMatchObject({ token: bearer, sessionId, principal: { userId: 'header-user', role: 'candidate', orgId: 'org-1' } });
  });

  it('answers subscribe with the authorizer verdict, and VALIDATION for malformed requests', async () => {
    const [allowed, forbidden, missing, broken] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    verdicts.set(allowed, 'ok').set(forbidden, 'FORBIDDEN').set(missing, 'NOT_FOUND').set(broken, 'throw');
    const client = await connect(urlA, { token: await token() });
    const callsBefore = authorizerCalls.length;
    for (const bad of [{}, { session_id: 'nope' }, { session_id: 42 }, null, 'text', { session_id: `${allowed}x` }]) {
      expect(await subscribe(client, bad)).toEqual({ ok: false, code: 'VALIDATION' });
    }
    expect(authorizerCalls.length).toBe(callsBefore);
    expect(await subscribe(client, { session_id: forbidden })).toEqual({ ok: false, code: 'FORBIDDEN' });
    expect(await subscribe(client, { session_id: missing })).toEqual({ ok: false, code: 'NOT_FOUND' });
    expect(await subscribe(client, { session_id: broken })).toEqual({ ok: false, code: 'UNAVAILABLE' });
    expect(await subscribe(client, { session_id: allowed.toUpperCase() })).toEqual({ ok: true });
  });

  it('relays a published event to subscribers of that session only, on every instance', async () => {
    const [sessionOne, sessionTwo, refused] = [randomUUID(), randomUUID(), randomUUID()];
    verdicts.set(sessionOne, 'ok').set(sessionTwo, 'ok').set(refused, 'FORBIDDEN');
    const onA = await connect(urlA, { token: await token() });
    const onB = await connect(urlB, { token: await token() });
    const otherSession = await connect(urlA, { token: await token() });
    const wasRefused = await connect(urlB, { token: await token() });
    const [gotA, gotB, gotOther, gotRefused] = [collect(onA), collect(onB), collect(otherSession), collect(wasRefused)];
    expect(await subscribe(onA, { session_id: sessionOne })).toEqual({ ok: true });
    expect(await subscribe(onB, { session_id: sessionOne })).toEqual({ ok: true });
    expect(await subscribe(otherSession, { session_id: sessionTwo })).toEqual({ ok: true });
    expect(await subscribe(wasRefused, { session_id: refused })).toEqual({ ok: false, code: 'FORBIDDEN' });
    expect(await subscribe(wasRefused, { session_id: sessionTwo })).toEqual({ ok: true });

    const event = chunkProcessed(sessionOne, 0);
    publisher.publish('chunk_processed', { sessionId: sessionOne }, event);
    publisher.publish('chunk_processed', { sessionId: refused }, chunkProcessed(refused, 1));
    // Published last: once it arrives, anything misrouted before it would have arrived too.
    publisher.publish('chunk_processed', { sessionId: sessionTwo }, chunkProcessed(sessionTwo, 7));

    await waitFor(() => gotA.length > 0 && gotB.length > 0 && gotOther.length > 0 && gotRefused.length > 0);
    expect(gotA).toEqual([event]);
    expect(gotB).toEqual([event]);
    const sessionTwoOnly = [[sessionTwo, 7]];
    expect(gotOther.map((received) => [received.session_id, received.chunk_index])).toEqual(sessionTwoOnly);
    expect(gotRefused.map((received) => [received.session_id, received.chunk_index])).toEqual(sessionTwoOnly);
  });

  it('stops relaying after unsubscribe', async () => {
    const [sessionId, marker] = [randomUUID(), randomUUID()];
    verdicts.set(sessionId, 'ok').set(marker, 'ok');
    const client = await connect(urlB, { token: await token() });
    const received = collect(client);
    expect(await subscribe(client, { session_id: sessionId })).toEqual({ ok: true });
    expect(await subscribe(client, { session_id: marker })).toEqual({ ok: true });
    publisher.publish('chunk_processed', { sessionId }, chunkProcessed(sessionId, 0));
    await waitFor(() => received.length === 1);

    expect(await client.timeout(5_000).emitWithAck('unsubscribe', { session_id: sessionId })).toEqual({ ok: true });
    expect(await client.timeout(5_000).emitWithAck('unsubscribe', { session_id: 'bad' })).toEqual({ ok: false, code: 'VALIDATION' });
    publisher.publish('chunk_processed', { sessionId }, chunkProcessed(sessionId, 1));
    publisher.publish('chunk_processed', { sessionId: marker }, chunkProcessed(marker, 9));
    await waitFor(() => received.length === 2);
    expect(received.map((event) => [event.session_id, event.chunk_index])).toEqual([
      [sessionId, 0],
      [marker, 9],
    ]);
  });

  it('rate-limits subscribes per socket without asking the authorizer, and disconnects a socket that keeps going', async () => {
    const limit = { perWindow: 5, windowMs: 60_000 };
    const url = await startInstance(limit);
    const sessionId = randomUUID();
    verdicts.set(sessionId, 'ok');
    const userToken = await token();
    const flooder = await connect(url, { token: userToken });
    const sibling = await connect(url, { token: userToken });
    const callsBefore = authorizerCalls.length;
    for (let i = 0; i < limit.perWindow; i += 1) expect(await subscribe(flooder, { session_id: sessionId })).toEqual({ ok: true });
    expect(await subscribe(flooder, { session_id: sessionId })).toEqual({ ok: false, code: 'RATE_LIMITED' });
    expect(await subscribe(flooder, { bad: true })).toEqual({ ok: false, code: 'RATE_LIMITED' });
    expect(authorizerCalls.length).toBe(callsBefore + limit.perWindow);
    // The budget is the socket's: another socket of the same user is not affected.
    expect(await subscribe(sibling, { session_id: sessionId })).toEqual({ ok: true });

    // Far beyond the budget (three budgets in one window), the socket is disconnected.
    const disconnected = new Promise<string>((resolve) => flooder.once('disconnect', resolve));
    for (let i = 0; i < 2 * limit.perWindow; i += 1) flooder.emit('subscribe', { session_id: sessionId }, () => undefined);
    expect(await disconnected).toBe('io server disconnect');
    expect(sibling.connected).toBe(true);
    expect(authorizerCalls.length).toBe(callsBefore + limit.perWindow + 1);
  });

  it('disconnects a client when its token expires', async () => {
    const shortLived = await signDevelopmentToken({ userId: 'u', role: 'candidate', orgId: 'org-1', secret: SECRET, expiresIn: '2s' });
    const client = await connect(urlA, { token: shortLived });
    const disconnected = new Promise<string>((resolve) => client.once('disconnect', resolve));
    const longLived = await connect(urlA, { token: await token() });
    expect(await disconnected).toBe('io server disconnect');
    expect(longLived.connected).toBe(true);
  });

  it("puts proctors and admins in their organisation's room, and candidates not", async () => {
    const org = `org-${randomUUID()}`;
    const sessionId = randomUUID();
    const proctor = await connect(urlA, { token: await token('p', 'proctor', org) });
    const admin = await connect(urlB, { token: await token('a', 'admin', org) });
    const candidate = await connect(urlA, { token: await token('c', 'candidate', org) });
    const otherOrg = await connect(urlB, { token: await token('p2', 'proctor', `${org}-other`) });
    const [gotProctor, gotAdmin, gotCandidate, gotOtherOrg] = [collect(proctor), collect(admin), collect(candidate), collect(otherOrg)];
    // In both the org room and the session room: the event still arrives once.
    verdicts.set(sessionId, 'ok');
    expect(await subscribe(proctor, { session_id: sessionId })).toEqual({ ok: true });

    publisher.publish('chunk_processed', { sessionId, orgId: org }, chunkProcessed(sessionId, 3));
    await waitFor(() => gotProctor.length > 0 && gotAdmin.length > 0);
    // The candidate and the other organisation get a later event of their own, and nothing before it.
    const marker = randomUUID();
    verdicts.set(marker, 'ok');
    expect(await subscribe(candidate, { session_id: marker })).toEqual({ ok: true });
    expect(await subscribe(otherOrg, { session_id: marker })).toEqual({ ok: true });
    expect(await subscribe(proctor, { session_id: marker })).toEqual({ ok: true });
    publisher.publish('chunk_processed', { sessionId: marker }, chunkProcessed(marker, 0));
    await waitFor(() => gotCandidate.length > 0 && gotOtherOrg.length > 0 && gotProctor.length > 1);
    expect(gotProctor.map((event) => event.session_id)).toEqual([sessionId, marker]);
    expect(gotAdmin.map((event) => event.session_id)).toEqual([sessionId]);
    expect(gotCandidate.map((event) => event.session_id)).toEqual([marker]);
    expect(gotOtherOrg.map((event) => event.session_id)).toEqual([marker]);
  });
  it('closes its clients so that they reconnect: a shutdown is a lost transport, not an expulsion', async () => {
    const url = await startInstance();
    const instance = instances.pop()!;
    const client = await connect(url, { token: await token() });
    const disconnected = new Promise<string>((resolve) => client.once('disconnect', resolve));
    await instance.app.close();
    await Promise.all(instance.redis.map((connection) => connection.quit()));
    // 'io server disconnect' would make socket.io-client give up for good (no automatic reconnection).
    expect(await disconnected).toBe('transport close');
  });
});
