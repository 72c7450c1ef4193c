import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { Server as SocketServer } from 'socket.io';
import { io as connectSocket, type Socket } from 'socket.io-client';
import { createTokenVerifier, signDevelopmentToken } from '@earshot/auth';
import { REDIS_KEYS, type Role } from '@earshot/contracts';
import { sendRawHttp, signTokenWithoutExpiry, TEST_REDIS_URL } from '@earshot/testing';
import { buildApp } from './app';
import { createRateLimitRedis } from './rate-limit-redis';
import { loadConfig, type GatewayConfig } from './config';

const SECRET = 'gateway-test-secret';
const MB = 1024 * 1024;
/** The one origin the test gateway lets pages call it from. */
const EXAM_ORIGIN = 'https://exam.example';

interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  sizeBytes: number;
  sha256: string;
}

/** A stand-in for the uploader: echoes what reached it, and counts bytes as they arrive. */
function startEchoUpstream() {
  const received: Received[] = [];
  const state = { bytesInFlight: 0, openRequests: 0, closedConnections: 0 };
  const server = http.createServer((request, response) => {
    if (request.url === '/health') return void response.end('{"status":"ok"}');
    state.openRequests += 1;
    request.once('close', () => (state.openRequests -= 1));
    const hash = createHash('sha256');
    let sizeBytes = 0;
    request.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      sizeBytes += chunk.length;
      state.bytesInFlight = sizeBytes;
    });
    request.on('end', () => {
      const entry = { method: request.method ?? '', url: request.url ?? '', headers: request.headers, sizeBytes, sha256: hash.digest('hex') };
      received.push(entry);
      response.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'echo' }).end(JSON.stringify(entry));
    });
  });
  server.on('connection', (socket) => socket.once('close', () => (state.closedConnections += 1)));
  // Far longer than the gateway's own upstream keep-alive, so any close seen comes from the gateway.
  server.keepAliveTimeout = 600_000;
  return { server, received, state };
}

/** A stand-in for the notifier: a socket.io server that acks `echo` with what the handshake carried. */
function startSocketUpstream() {
  const server = http.createServer((request, response) => {
    if (request.url === '/health') response.end('{"status":"ok"}');
  });
  const io = new SocketServer(server);
  io.on('connection', (socket) => {
    socket.on('echo', (message: unknown, ack: (reply: unknown) => void) =>
      ack({
        message,
        token: (socket.handshake.auth as { token?: string }).token,
        authorization: socket.handshake.headers.authorization,
        transport: socket.conn.transport.name,
      }),
    );
  });
  return { server, io };
}

const listen = async (server: http.Server): Promise<string> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

const closedPortUrl = async (): Promise<string> => {
  const server = http.createServer();
  const url = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return url;
};

const token = (userId: string = randomUUID(), role: Role = 'candidate') => signDevelopmentToken({ userId, role, orgId: 'org-1', secret: SECRET });

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Sends a body in two halves; `between` runs after the first half is written (to observe streaming). */
function sendInTwoHalves(url: string, headers: http.OutgoingHttpHeaders, body: Buffer, between: () => Promise<void>): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString() }));
    });
    request.on('error', reject);
    const half = Math.floor(body.length / 2);
    const write = () => {
      request.write(body.subarray(0, half));
      between().then(() => request.end(body.subarray(half)), reject);
    };
    // With `Expect: 100-continue` the body waits for the interim response, as curl does.
    if (headers.expect) request.on('continue', write);
    else write();
  });
}

function multipartBody(file: Buffer): { body: Buffer; contentType: string } {
  const boundary = `----earshot${randomUUID()}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="session_id"\r\n\r\n${randomUUID()}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="audio_chunk"; filename="chunk.webm"\r\nContent-Type: audio/webm\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { body: Buffer.concat([head, file, tail]), contentType: `multipart/form-data; boundary=${boundary}` };
}

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('gateway (real Redis, stand-in upstreams)', () => {
  const echo = startEchoUpstream();
  const sockets = startSocketUpstream();
  const redis = new Redis(TEST_REDIS_URL);
  const usedUsers: string[] = [];
  let app: FastifyInstance;
  let gatewayUrl: string;
  let staticDir: string;
  let echoUrl: string;
  let socketsUrl: string;

  const defaults = loadConfig({});
  const config = (overrides: Partial<GatewayConfig['upstreams']> = {}, uploadsPerMinute = 3, http = defaults.http) => ({
    http,
    cors: { origins: [EXAM_ORIGIN] },
    upstreams: { ...defaults.upstreams, uploaderUrl: '', notifierUrl: '', ...overrides },
    rateLimit: { uploadsPerMinute, apiPerMinute: 5 },
    staticDir,
  });

  beforeAll(async () => {
    staticDir = mkdtempSync(join(tmpdir(), 'gateway-static-'));
    writeFileSync(join(staticDir, 'index.html'), '<h1>exam</h1>');
    echoUrl = await listen(echo.server);
    socketsUrl = await listen(sockets.server);
    app = await buildApp({ config: config({ uploaderUrl: echoUrl, notifierUrl: socketsUrl }), redis, verifyToken: createTokenVerifier({ hs256Secret: SECRET }) });
    gatewayUrl = await app.listen({ port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await app.close();
    await sockets.io.close();
    await new Promise((resolve) => echo.server.close(resolve));
    if (usedUsers.length) await redis.del(...usedUsers.flatMap((user) => [REDIS_KEYS.uploadRate(user), `audio:rate:api:${user}`]));
    await redis.quit();
    rmSync(staticDir, { recursive: true, force: true });
  });

  const newUser = (): string => {
    const user = randomUUID();
    usedUsers.push(user);
    return user;
  };

  it('answers /health, and /ready when Redis and both upstreams answer', async () => {
    expect((await fetch(`${gatewayUrl}/health`)).status).toBe(200);
    const ready = await fetch(`${gatewayUrl}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ checks: { redis: 'ok', uploader: 'ok', notifier: 'ok' } });
  });

  it.each([
    ['no Authorization header', undefined],
    ['a token signed with another secret', 'other-secret'],
    ['a malformed token', 'Bearer not.a.jwt'],
    ['another scheme', 'Basic dXNlcjpwYXNz'],
    ['a token without exp, which would never expire', 'no-exp'],
  ])('refuses %s with a 401 problem before reaching the uploader', async (_case, given) => {
    const signed: Record<string, () => Promise<string>> = {
      'other-secret': () => signDevelopmentToken({ userId: 'u', role: 'candidate', orgId: 'o', secret: 'other' }),
      'no-exp': () => signTokenWithoutExpiry({ userId: 'u', role: 'candidate', orgId: 'org-1', secret: SECRET }),
    };
    const authorization = given && signed[given] ? `Bearer ${await signed[given]()}` : given;
    const before = echo.received.length;
    const response = await fetch(`${gatewayUrl}/api/audio/upload-chunk`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', ...(authorization ? { authorization } : {}) },
      // A large unread body must not keep the connection (or the gateway's shutdown) hanging.
      body: Buffer.alloc(2 * MB),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(await response.json()).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    expect(echo.received.length).toBe(before);
  });

  it('streams a 12 MB multipart upload intact, forwarding Authorization and dropping Expect', async () => {
    const user = newUser();
    const bearer = `Bearer ${await token(user)}`;
    const { body, contentType } = multipartBody(randomBytes(12 * MB));
    const response = await sendInTwoHalves(
      `${gatewayUrl}/api/audio/upload-chunk?trace=1`,
      { authorization: bearer, 'content-type': contentType, 'content-length': body.length, expect: '100-continue', 'x-request-id': 'req-123' },
      body,
      // The uploader must see bytes while the client is still sending: a buffering proxy would stall here.
      () => waitFor(() => echo.state.bytesInFlight > MB),
    );
    expect(response.status).toBe(200);
    expect(response.headers['x-upstream']).toBe('echo');
    const received = JSON.parse(response.body) as Received;
    expect(received.sha256).toBe(createHash('sha256').update(body).digest('hex'));
    expect(received.sizeBytes).toBe(body.length);
    expect(received).toMatchObject({ method: 'POST', url: '/api/audio/upload-chunk?trace=1' });
    expect(received.headers.authorization).toBe(bearer);
    expect(received.headers['content-type']).toBe(contentType);
    expect(received.headers['x-request-id']).toBe('req-123');
    expect(received.headers.expect).toBeUndefined();
  });

  it('rate-limits chunk uploads per user in Redis with a 429 problem and Retry-After', async () => {
    const [alice, bob] = [newUser(), newUser()];
    const upload = async (user: string, path = '/api/audio/upload-chunk') =>
      fetch(`${gatewayUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${await token(user)}` }, body: Buffer.alloc(MB) });

    for (let i = 0; i < 3; i += 1) expect((await upload(alice)).status).toBe(200);
    const before = echo.received.length;
    const limited = await upload(alice);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('content-type')).toContain('application/problem+json');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect(await limited.json()).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    // Path spellings that reach the same route count in the same bucket.
    expect((await upload(alice, '/api/audio/upload-chunk/')).status).toBe(429);
    expect(echo.received.length).toBe(before);
    expect(Number(await redis.get(REDIS_KEYS.uploadRate(alice)))).toBe(5);

    // Another user has a bucket of their own; the same user's other API calls use the looser limit.
    expect((await upload(bob)).status).toBe(200);
    const read = await fetch(`${gatewayUrl}/api/audio/sessions/${randomUUID()}`, { headers: { authorization: `Bearer ${await token(alice)}` } });
    expect(read.status).toBe(200);
  });

  it.each([
    '/api/audio/upload%2Dchunk',
    '/api/audio/%75pload-chunk',
    '/api/audio/./upload-chunk',
    '/api/%61udio/upload-chunk',
    '/api/audio/%2e/upload-chunk',
    '/api/audio/x/../upload-chunk',
    '/api/audio/x/%2E%2E/upload-chunk',
    '/api/audio/upload-chunk#x',
    '/api/audio%2Fupload-chunk',
    '/api/audio/sessions%2f..%2fupload-chunk',
    '/api/audio\\upload-chunk',
    'http://gateway/api/audio/upload-chunk',
  ])('refuses the other spelling %s with a 400 problem, before it is counted or reaches the uploader', async (path) => {
    const user = newUser();
    const before = echo.received.length;
    const answer = await sendRawHttp(
      gatewayUrl,
      `POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${await token(user)}\r\nContent-Length: 0\r\n\r\n`,
      { untilResponse: true },
    );
    expect(answer.status).toBe(400);
    expect(answer.headers['content-type']).toContain('application/problem+json');
    expect(JSON.parse(answer.body)).toMatchObject({ status: 400, code: 'VALIDATION' });
    expect(echo.received.length).toBe(before);
    expect(await redis.exists(REDIS_KEYS.uploadRate(user), REDIS_KEYS.apiRate(user))).toBe(0);
  });

  it('applies the looser limit to other API calls', async () => {
    const user = newUser();
    const bearer = `Bearer ${await token(user, 'proctor')}`;
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) statuses.push((await fetch(`${gatewayUrl}/api/audio/sessions/${randomUUID()}`, { headers: { authorization: bearer } })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  });

  it('answers 503 UNAVAILABLE when an upstream is down, revealing nothing about it', async () => {
    const deadUrl = await closedPortUrl();
    const down = await buildApp({ config: config({ uploaderUrl: deadUrl, notifierUrl: deadUrl }), redis, verifyToken: createTokenVerifier({ hs256Secret: SECRET }) });
    const downUrl = await down.listen({ port: 0, host: '127.0.0.1' });
    try {
      const authorization = `Bearer ${await token(newUser())}`;
      const attempts = [
        ['POST', '/api/audio/upload-chunk', Buffer.alloc(2 * MB)],
        ['GET', `/api/audio/sessions/${randomUUID()}`, undefined],
        ['GET', '/socket.io/?EIO=4&transport=polling', undefined],
      ] as const;
      for (const [method, path, body] of attempts) {
        const response = await fetch(`${downUrl}${path}`, { method, headers: { authorization }, body });
        const text = await response.text();
        expect(response.status).toBe(503);
        expect(response.headers.get('content-type')).toContain('application/problem+json');
        expect(JSON.parse(text)).toMatchObject({ status: 503, code: 'UNAVAILABLE' });
        expect(text).not.toContain(new URL(deadUrl).port);
        expect(text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/);
      }
      const ready = await fetch(`${downUrl}/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ code: 'UNAVAILABLE', checks: { redis: 'ok', uploader: 'unavailable', notifier: 'unavailable' } });
    } finally {
      await down.close();
    }
  });

  it('lets requests through uncounted when Redis is down, and says so on /ready', async () => {
    const deadRedis = createRateLimitRedis(await closedPortUrl().then((url) => url.replace('http:', 'redis:')));
    const uploaderUrl = `http://127.0.0.1:${(echo.server.address() as AddressInfo).port}`;
    const notifierUrl = `http://127.0.0.1:${(sockets.server.address() as AddressInfo).port}`;
    const noRedis = await buildApp({ config: config({ uploaderUrl, notifierUrl }, 1), redis: deadRedis, verifyToken: createTokenVerifier({ hs256Secret: SECRET }) });
    const url = await noRedis.listen({ port: 0, host: '127.0.0.1' });
    try {
      const authorization = `Bearer ${await token(newUser())}`;
      const started = Date.now();
      // Past the limit of 1 per minute: nothing can be counted, so nothing is refused.
      for (let i = 0; i < 3; i += 1) {
        expect((await fetch(`${url}/api/audio/upload-chunk`, { method: 'POST', headers: { authorization }, body: 'x' })).status).toBe(200);
      }
      expect(Date.now() - started).toBeLessThan(6_000);
      const ready = await fetch(`${url}/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ checks: { redis: 'unavailable', uploader: 'ok', notifier: 'ok' } });
    } finally {
      await noRedis.close();
      deadRedis.disconnect();
    }
  });

  it.each(['websocket', 'polling'] as const)('carries socket.io over %s to the notifier, with the handshake token or header', async (transport) => {
    const bearer = await token();
    const viaAuth: Socket = connectSocket(gatewayUrl, { transports: [transport], auth: { token: bearer }, reconnection: false, forceNew: true });
    const viaHeader: Socket = connectSocket(gatewayUrl, { transports: [transport], extraHeaders: { authorization: `Bearer ${bearer}` }, reconnection: false, forceNew: true });
    try {
      for (const client of [viaAuth, viaHeader]) {
        await new Promise<void>((resolve, reject) => {
          client.once('connect', resolve);
          client.once('connect_error', reject);
        });
      }
      expect(await viaAuth.timeout(5_000).emitWithAck('echo', { hello: 'exam' })).toEqual({ message: { hello: 'exam' }, token: bearer, transport });
      expect(await viaHeader.timeout(5_000).emitWithAck('echo', 'hi')).toEqual({ message: 'hi', authorization: `Bearer ${bearer}`, transport });
    } finally {
      viaAuth.close();
      viaHeader.close();
    }
  });

  it.each([
    ['a bad request line', 'GARBAGE\r\n\r\n', 400, 'VALIDATION'],
    ['a bad Content-Length', 'POST /api/audio/sessions HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n', 400, 'VALIDATION'],
    ['two Content-Lengths', 'POST /api/audio/sessions HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab', 400, 'VALIDATION'],
    ['malformed chunked encoding', 'POST /api/audio/sessions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n', 400, 'VALIDATION'],
    ['a 20 kB URL', `GET /api/audio/${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 414, 'URI_TOO_LONG'],
    ['20 kB of headers', `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'HEADERS_TOO_LARGE'],
  ])('answers %s, refused before any handler, with a problem and closes the connection', async (_case, request, status, code) => {
    const answer = await sendRawHttp(gatewayUrl, request);
    expect(answer.status).toBe(status);
    expect(answer.headers['content-type']).toContain('application/problem+json');
    expect(JSON.parse(answer.body)).toMatchObject({ status, code });
    expect(answer.closed).toBe(true);
  });

  it('answers a malformed percent-escape, refused by the router, with a problem', async () => {
    const answer = await sendRawHttp(gatewayUrl, 'GET /api/audio/sessions/%zz HTTP/1.1\r\nHost: x\r\n\r\n', { untilResponse: true });
    expect(answer.status).toBe(400);
    expect(answer.headers['content-type']).toContain('application/problem+json');
    expect(JSON.parse(answer.body)).toMatchObject({ status: 400, code: 'VALIDATION' });
  });

  describe('CORS', () => {
    const preflight = (origin: string, path = '/api/audio/upload-chunk') =>
      fetch(`${gatewayUrl}${path}`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-request-id' },
      });
    const corsHeaders = (response: Response) => [...response.headers.keys()].filter((name) => name.startsWith('access-control-'));

    it('answers a preflight from an allowed origin with 204 and the allowed methods and headers, without a token', async () => {
      const before = echo.received.length;
      const response = await preflight(EXAM_ORIGIN);
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBe(EXAM_ORIGIN);
      expect(response.headers.get('access-control-allow-methods')?.split(/,\s*/)).toEqual(expect.arrayContaining(['GET', 'POST']));
      expect(response.headers.get('access-control-allow-headers')?.toLowerCase().split(/,\s*/)).toEqual(['authorization', 'content-type', 'x-request-id']);
      expect(Number(response.headers.get('access-control-max-age'))).toBeGreaterThan(0);
      expect(response.headers.get('access-control-allow-credentials')).toBeNull();
      expect(response.headers.get('vary')).toMatch(/origin/i);
      expect(echo.received.length).toBe(before);
    });

    it.each(['https://evil.example', 'https://exam.example.evil.example', 'http://exam.example', 'null'])(
      'gives a preflight from %s no CORS headers',
      async (origin) => {
        const response = await preflight(origin);
        expect(corsHeaders(response)).toEqual([]);
        expect(response.status).not.toBe(204);
      },
    );

    it('lets an allowed page read answers, problems included, and the headers it needs', async () => {
      const unauthenticated = await fetch(`${gatewayUrl}/api/audio/sessions/${randomUUID()}`, { headers: { origin: EXAM_ORIGIN } });
      expect(unauthenticated.status).toBe(401);
      expect(unauthenticated.headers.get('access-control-allow-origin')).toBe(EXAM_ORIGIN);
      expect(unauthenticated.headers.get('access-control-expose-headers')?.toLowerCase().split(/,\s*/)).toEqual(['retry-after', 'location']);

      const user = newUser();
      const upload = async () =>
        fetch(`${gatewayUrl}/api/audio/upload-chunk`, { method: 'POST', headers: { origin: EXAM_ORIGIN, authorization: `Bearer ${await token(user)}` }, body: 'x' });
      for (let i = 0; i < 3; i += 1) expect((await upload()).headers.get('access-control-allow-origin')).toBe(EXAM_ORIGIN);
      const limited = await upload();
      expect(limited.status).toBe(429);
      expect(limited.headers.get('access-control-allow-origin')).toBe(EXAM_ORIGIN);

      const other = await fetch(`${gatewayUrl}/api/audio/sessions/${randomUUID()}`, { headers: { origin: 'https://evil.example' } });
      expect(corsHeaders(other)).toEqual([]);
    });

    it('lets an allowed page poll socket.io through the gateway, with one Allow-Origin header', async () => {
      const response = await fetch(`${gatewayUrl}/socket.io/?EIO=4&transport=polling`, { headers: { origin: EXAM_ORIGIN } });
      await response.text();
      expect(response.status).toBe(200);
      expect(response.headers.get('access-control-allow-origin')).toBe(EXAM_ORIGIN);
    });

    it('allows no origin when none is configured', async () => {
      const closed = await buildApp({ config: { ...config({ uploaderUrl: echoUrl, notifierUrl: socketsUrl }), cors: { origins: [] } }, redis, verifyToken: createTokenVerifier({ hs256Secret: SECRET }) });
      const closedUrl = await closed.listen({ port: 0, host: '127.0.0.1' });
      try {
        const response = await fetch(`${closedUrl}/api/audio/upload-chunk`, { method: 'OPTIONS', headers: { origin: EXAM_ORIGIN, 'access-control-request-method': 'POST' } });
        expect(corsHeaders(response)).toEqual([]);
      } finally {
        await closed.close();
      }
    });
  });

  describe('with short HTTP timeouts', () => {
    const limits = { headersTimeoutMs: 1_000, requestTimeoutMs: 2_000, keepAliveTimeoutMs: 1_500 };
    // Node checks deadlines once a second; a loaded machine may add more. The defaults would take 60 s or more.
    const SLACK_MS = 6_000;
    let short: FastifyInstance;
    let shortUrl: string;

    beforeAll(async () => {
      short = await buildApp({
        config: config({ uploaderUrl: echoUrl, notifierUrl: socketsUrl, keepAliveTimeoutMs: 1_000 }, 100, limits),
        redis,
        verifyToken: createTokenVerifier({ hs256Secret: SECRET }),
      });
      shortUrl = await short.listen({ port: 0, host: '127.0.0.1' });
    });
    afterAll(() => short.close());

    it('closes a request whose headers never finish with a 408 problem', async () => {
      const answer = await sendRawHttp(shortUrl, 'POST /api/audio/upload-chunk HTTP/1.1\r\nHost: x\r\nContent-Type: multip', { waitMs: 20_000 });
      expect(answer.closed).toBe(true);
      expect(answer.elapsedMs).toBeGreaterThanOrEqual(limits.headersTimeoutMs - 100);
      expect(answer.elapsedMs).toBeLessThan(limits.headersTimeoutMs + SLACK_MS);
      expect(answer.status).toBe(408);
      expect(answer.headers['content-type']).toContain('application/problem+json');
      expect(JSON.parse(answer.body)).toMatchObject({ status: 408, code: 'REQUEST_TIMEOUT' });
    });

    it('closes an upload whose body stalls (5 GB announced, 9 kB sent) with a 408 problem, and lets go of the upstream', async () => {
      const bearer = `Bearer ${await token(newUser())}`;
      const head = `POST /api/audio/upload-chunk HTTP/1.1\r\nHost: x\r\nAuthorization: ${bearer}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${5 * 1024 ** 3}\r\n\r\n`;
      const answer = await sendRawHttp(shortUrl, Buffer.concat([Buffer.from(head), Buffer.alloc(9 * 1024)]), { waitMs: 20_000 });
      expect(answer.closed).toBe(true);
      expect(answer.elapsedMs).toBeGreaterThanOrEqual(limits.requestTimeoutMs - 100);
      expect(answer.elapsedMs).toBeLessThan(limits.requestTimeoutMs + SLACK_MS);
      expect(answer.status).toBe(408);
      expect(JSON.parse(answer.body)).toMatchObject({ status: 408, code: 'REQUEST_TIMEOUT' });
      // The half-sent body was streaming to the uploader: that request is aborted too, not left hanging.
      await waitFor(() => echo.state.openRequests === 0, 10_000);
    });

    it('closes an idle keep-alive connection after the keep-alive timeout, and says so', async () => {
      const answer = await sendRawHttp(shortUrl, 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n', { waitMs: 20_000 });
      expect(answer.status).toBe(200);
      expect(answer.headers['keep-alive']).toBe('timeout=1');
      expect(answer.closed).toBe(true);
      expect(answer.elapsedMs).toBeGreaterThanOrEqual(limits.keepAliveTimeoutMs - 100);
      expect(answer.elapsedMs).toBeLessThan(limits.keepAliveTimeoutMs + SLACK_MS);
    });

    it('closes its idle upstream connections before the upstream would', async () => {
      const closedBefore = echo.state.closedConnections;
      const response = await fetch(`${shortUrl}/api/audio/sessions/${randomUUID()}`, { headers: { authorization: `Bearer ${await token(newUser())}` } });
      expect(response.status).toBe(200);
      await response.arrayBuffer();
      // The stand-in keeps idle connections for 10 minutes; the gateway's pool lets go after 1 s.
      await waitFor(() => echo.state.closedConnections > closedBefore, 10_000);
    });
  });

  it('answers unknown routes with a 404 problem and serves the static folder at /', async () => {
    const missing = await fetch(`${gatewayUrl}/nope/nothing`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 'NOT_FOUND' });
    const page = await fetch(`${gatewayUrl}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toBe('<h1>exam</h1>');
  });
});
