import { randomUUID } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import { signDevelopmentToken } from '@earshot/auth';
import type { ClientToServerEvents, ServerToClientEvents } from '@earshot/contracts';
import { sendRawHttp, signTokenWithoutExpiry, startStack, type RawHttpAnswer, type ServiceName, type Stack } from '@earshot/testing';

/**
 * The public edge as a tester meets it: the gateway, uploader and notifier as separate processes, configured
 * only through their environment, probed with raw sockets where fetch would tidy the request up.
 */
const SECRET = 'edge-e2e-secret';
const EXAM_ORIGIN = 'https://exam.example';
const UPLOADS_PER_MINUTE = 2;
const SUBSCRIBES_PER_WINDOW = 3;
/** Short limits, so the test sees them act; the defaults are 10 s, 120 s and 65 s. */
const HEADERS_TIMEOUT_MS = 1_000;
const REQUEST_TIMEOUT_MS = 3_000;
const KEEP_ALIVE_TIMEOUT_MS = 2_000;
/** Node checks deadlines once a second; a loaded two-core machine may add more. The defaults would take 60 s+. */
const SLACK_MS = 8_000;
const EDGE_SERVICES: ServiceName[] = ['gateway', 'uploader', 'notifier'];

let stack: Stack;
const urlOf = (service: ServiceName): string => stack.services[service]!.url;

beforeAll(async () => {
  const timeouts = {
    HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
    HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    HTTP_KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_TIMEOUT_MS),
  };
  stack = await startStack({
    jwtSecret: SECRET,
    services: EDGE_SERVICES,
    env: {
      gateway: { ...timeouts, RATE_LIMIT_UPLOADS_PER_MINUTE: String(UPLOADS_PER_MINUTE), CORS_ORIGINS: EXAM_ORIGIN, UPSTREAM_KEEP_ALIVE_TIMEOUT_MS: '1000' },
      uploader: timeouts,
      notifier: { ...timeouts, SUBSCRIBE_RATE_LIMIT: String(SUBSCRIBES_PER_WINDOW), SUBSCRIBE_RATE_WINDOW_MS: '60000' },
    },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

const token = (userId: string, role: 'candidate' | 'proctor' = 'candidate') => signDevelopmentToken({ userId, role, orgId: 'org-edge', secret: SECRET });

const expectProblem = (answer: RawHttpAnswer, status: number, code: string) => {
  expect({ status: answer.status, type: answer.headers['content-type'] }).toEqual({ status, type: expect.stringContaining('application/problem+json') });
  expect(JSON.parse(answer.body)).toMatchObject({ status, code });
};

async function newSession(userId: string): Promise<string> {
  const response = await fetch(`${stack.url}/api/audio/sessions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await token(userId)}`, 'content-type': 'application/json' },
    body: JSON.stringify({ test_session_id: 'edge' }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { id: string }).id;
}

async function connectSocket(bearer: string): Promise<Socket<ServerToClientEvents, ClientToServerEvents>> {
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(stack.url, { auth: { token: bearer }, transports: ['websocket'], reconnection: false, forceNew: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  return socket;
}

describe('the upload rate limit counts every spelling of the upload route', () => {
  /** Spellings the uploader's router sends to the upload route. */
  const ROUTED_BY_UPLOADER = ['/api/audio/upload%2Dchunk', '/api/audio/%75pload-chunk', '/api/%61udio/upload-chunk', '/api/audio/upload-chunk#x'];
  /** And those the gateway's proxy turned into the upload path itself when forwarding (dot segments). */
  const SPELLINGS = [...ROUTED_BY_UPLOADER, '/api/audio/./upload-chunk', '/api/audio/x/../upload-chunk'];
  const rawUpload = async (url: string, path: string, bearer: string) =>
    sendRawHttp(url, `POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${bearer}\r\nContent-Type: application/octet-stream\r\nContent-Length: 4\r\n\r\nnope`, {
      untilResponse: true,
    });

  it.each(ROUTED_BY_UPLOADER)('the uploader itself routes %s to the upload route (so the gateway must not let it by)', async (path) => {
    // 415: the upload route answered (multipart expected); an unknown route would be 404.
    expectProblem(await rawUpload(urlOf('uploader'), path, await token('spelling-check')), 415, 'UNSUPPORTED_MEDIA');
  });

  it('refuses those spellings at the gateway, and the budget still ends at its limit', async () => {
    // A user of its own: rate-limit buckets live in the shared Redis for a minute.
    const bearer = await token(`rate-limited-${randomUUID()}`);
    for (let i = 0; i < UPLOADS_PER_MINUTE; i += 1) expectProblem(await rawUpload(stack.url, '/api/audio/upload-chunk', bearer), 415, 'UNSUPPORTED_MEDIA');
    for (const path of SPELLINGS) expectProblem(await rawUpload(stack.url, path, bearer), 400, 'VALIDATION');
    const limited = await rawUpload(stack.url, '/api/audio/upload-chunk', bearer);
    expectProblem(limited, 429, 'RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });
});

describe('slow and half-open requests are closed on every service', () => {
  it.each(EDGE_SERVICES)('%s closes a request whose headers never finish with a 408 problem', async (service) => {
    const answer = await sendRawHttp(urlOf(service), 'GET /health HTTP/1.1\r\nHost: x\r\nX-Half: sent', { waitMs: 25_000 });
    expect(answer.closed).toBe(true);
    expect(answer.elapsedMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 100);
    expect(answer.elapsedMs).toBeLessThan(HEADERS_TIMEOUT_MS + SLACK_MS);
    expectProblem(answer, 408, 'REQUEST_TIMEOUT');
  });

  it.each(['gateway', 'uploader'] as const)('%s closes an upload announcing 5 GB that stalls after 9 kB with a 408 problem', async (service) => {
    const head = `POST /api/audio/upload-chunk HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${await token(`stall-${service}`)}\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: ${5 * 1024 ** 3}\r\n\r\n`;
    const answer = await sendRawHttp(urlOf(service), Buffer.concat([Buffer.from(head), Buffer.from('--x\r\n'), Buffer.alloc(9 * 1024, 'a')]), { waitMs: 25_000 });
    expect(answer.closed).toBe(true);
    expect(answer.elapsedMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 100);
    expect(answer.elapsedMs).toBeLessThan(REQUEST_TIMEOUT_MS + SLACK_MS);
    expectProblem(answer, 408, 'REQUEST_TIMEOUT');
  });

  it.each(EDGE_SERVICES)('%s closes an idle keep-alive connection after its keep-alive timeout', async (service) => {
    const answer = await sendRawHttp(urlOf(service), 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n', { waitMs: 25_000 });
    expect(answer.status).toBe(200);
    expect(answer.headers['keep-alive']).toBe(`timeout=${KEEP_ALIVE_TIMEOUT_MS / 1000}`);
    expect(answer.closed).toBe(true);
    expect(answer.elapsedMs).toBeLessThan(KEEP_ALIVE_TIMEOUT_MS + SLACK_MS);
  });
});

describe('requests refused before any handler are problems on every service', () => {
  it.each(EDGE_SERVICES)('%s answers a bad request line, a bad Content-Length and oversized headers with problems', async (service) => {
    const url = urlOf(service);
    expectProblem(await sendRawHttp(url, 'GARBAGE\r\n\r\n'), 400, 'VALIDATION');
    expectProblem(await sendRawHttp(url, 'POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 12abc\r\n\r\n'), 400, 'VALIDATION');
    expectProblem(await sendRawHttp(url, `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`), 431, 'HEADERS_TOO_LARGE');
    expectProblem(await sendRawHttp(url, `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`), 414, 'URI_TOO_LONG');
  });

  it('the gateway passes on the uploader’s problem for an over-long session id', async () => {
    const answer = await sendRawHttp(stack.url, `GET /api/audio/sessions/${'a'.repeat(300)} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${await token('long-id')}\r\n\r\n`, {
      untilResponse: true,
    });
    expectProblem(answer, 414, 'URI_TOO_LONG');
  });
});

describe('CORS through the gateway', () => {
  const preflight = (origin: string) =>
    fetch(`${stack.url}/api/audio/upload-chunk`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' } });

  it('answers a preflight from the allowed exam origin without a token', async () => {
    const response = await preflight(EXAM_ORIGIN);
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(EXAM_ORIGIN);
    expect(response.headers.get('access-control-allow-headers')).toMatch(/authorization/i);
  });

  it('gives another origin no CORS headers', async () => {
    const response = await preflight('https://elsewhere.example');
    expect([...response.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([]);
  });
});

describe('tokens', () => {
  it('refuses a token without exp, over HTTP and for socket.io', async () => {
    const unexpiring = await signTokenWithoutExpiry({ userId: 'forever', role: 'candidate', orgId: 'org-edge', secret: SECRET });
    const response = await fetch(`${stack.url}/api/audio/sessions/00000000-0000-4000-8000-000000000000`, { headers: { authorization: `Bearer ${unexpiring}` } });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(connectSocket(unexpiring)).rejects.toThrow('UNAUTHENTICATED');
  });
});

describe('socket.io subscribe', () => {
  it('asks the uploader’s access check, and rate-limits a socket that keeps subscribing', async () => {
    const [mine, theirs] = [await newSession('sub-owner'), await newSession('sub-other')];
    const socket = await connectSocket(await token('sub-owner'));
    try {
      const subscribe = (sessionId: string) => socket.timeout(5_000).emitWithAck('subscribe', { session_id: sessionId });
      expect(await subscribe(mine)).toEqual({ ok: true });
      expect(await subscribe(theirs)).toEqual({ ok: false, code: 'FORBIDDEN' });
      expect(await subscribe('00000000-0000-4000-8000-000000000000')).toEqual({ ok: false, code: 'NOT_FOUND' });
      expect(await subscribe(mine)).toEqual({ ok: false, code: 'RATE_LIMITED' });
    } finally {
      socket.close();
    }
  });
});
