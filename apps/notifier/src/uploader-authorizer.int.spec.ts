import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Principal } from '@earshot/contracts';
import { createUploaderAuthorizer } from './uploader-authorizer';

const principal: Principal = { userId: 'u-1', role: 'candidate', orgId: 'org-1' };

describe('createUploaderAuthorizer (against a stand-in uploader)', () => {
  const seen: { url: string; authorization?: string }[] = [];
  /** Answers GET /api/audio/sessions/{status}-{uuid}/access with that status (or never, for "hang"). */
  const server = http.createServer((request, response) => {
    seen.push({ url: request.url ?? '', authorization: request.headers.authorization });
    const status = /sessions\/(\w+)-/.exec(request.url ?? '')?.[1];
    if (status === 'hang') return;
    response.writeHead(Number(status), { 'content-type': 'application/json' }).end('{"session_id":"x","user_id":"u-1","org_id":"org-1"}');
  });
  let uploaderUrl: string;

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    uploaderUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it.each([
    ['200', 'ok'],
    ['403', 'FORBIDDEN'],
    ['404', 'NOT_FOUND'],
  ] as const)('maps %s to %s and asks with the caller’s own token', async (status, verdict) => {
    const authorize = createUploaderAuthorizer({ uploaderUrl });
    const sessionId = `${status}-${randomUUID()}`;
    await expect(authorize(principal, 'caller-token', sessionId)).resolves.toBe(verdict);
    // The cheap check: who owns the session (one row), not the whole session with its chunks.
    expect(seen.at(-1)).toEqual({ url: `/api/audio/sessions/${sessionId}/access`, authorization: 'Bearer caller-token' });
  });

  it.each(['401', '500', '503'])('throws on %s (the subscription is then UNAVAILABLE)', async (status) => {
    await expect(createUploaderAuthorizer({ uploaderUrl })(principal, 't', `${status}-${randomUUID()}`)).rejects.toThrow(status);
  });

  it('throws when the uploader does not answer in time or is down', async () => {
    await expect(createUploaderAuthorizer({ uploaderUrl, timeoutMs: 100 })(principal, 't', `hang-${randomUUID()}`)).rejects.toThrow();
    await expect(createUploaderAuthorizer({ uploaderUrl: 'http://127.0.0.1:1' })(principal, 't', randomUUID())).rejects.toThrow();
  });
});
