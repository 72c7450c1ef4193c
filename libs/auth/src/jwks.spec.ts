import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
import { DomainError } from '@earshot/contracts';
import { createTokenVerifier } from './index';

describe('JWKS / RS256 verification (production identity providers)', () => {
  let server: Server;
  let jwksUrl: string;
  let privateKey: PrivateKey;
  let otherKey: PrivateKey;

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    privateKey = pair.privateKey;
    otherKey = (await generateKeyPair('RS256')).privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'key-1', alg: 'RS256', use: 'sig' };
    server = createServer((_request, response) => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const sign = (key: PrivateKey, claims: Record<string, unknown> = { role: 'proctor', org: 'org-9' }) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'key-1' }).setSubject('p-1').setIssuer('https://idp.test').setAudience('earshot').setExpirationTime('5m').sign(key);

  it('accepts a token signed by a key in the JWKS, checking issuer and audience', async () => {
    const verify = createTokenVerifier({ jwksUrl, issuer: 'https://idp.test', audience: 'earshot' });
    await expect(verify(await sign(privateKey))).resolves.toEqual({ userId: 'p-1', role: 'proctor', orgId: 'org-9' });
  });

  it('rejects a token from another key, another audience, or an HS256 token made with a guessed secret', async () => {
    const verify = createTokenVerifier({ jwksUrl, issuer: 'https://idp.test', audience: 'other', hs256Secret: 'guess' });
    for (const token of [
      await sign(otherKey),
      await sign(privateKey),
      await new SignJWT({ role: 'admin', org: 'org-9' }).setProtectedHeader({ alg: 'HS256' }).setSubject('x').sign(new TextEncoder().encode('guess')),
    ]) {
      const error = await verify(token).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(DomainError);
    }
  });
});
