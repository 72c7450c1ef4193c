import { SignJWT } from 'jose';
import { DomainError } from '@earshot/contracts';
import { bearerToken, canReadSession, canWriteSession, createTokenVerifier, signDevelopmentToken } from './index';

const secret = 'test-secret';
const verify = createTokenVerifier({ hs256Secret: secret });

/** A token with the given claims, signed with the test secret; valid for 5 minutes unless `exp: false`. */
const sign = (claims: Record<string, unknown>, options: { exp?: boolean; issuer?: string; audience?: string } = {}) => {
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject('u1').setIssuedAt();
  if (options.exp !== false) jwt = jwt.setExpirationTime('5m');
  if (options.issuer) jwt = jwt.setIssuer(options.issuer);
  if (options.audience) jwt = jwt.setAudience(options.audience);
  return jwt.sign(new TextEncoder().encode(secret));
};

describe('token verification', () => {
  it('accepts a valid HS256 token and returns the principal', async () => {
    const token = await signDevelopmentToken({ userId: 'u1', role: 'candidate', orgId: 'o1', secret });
    await expect(verify(token)).resolves.toEqual({ userId: 'u1', role: 'candidate', orgId: 'o1' });
  });

  it.each([
    ['wrong secret', () => signDevelopmentToken({ userId: 'u1', role: 'candidate', orgId: 'o1', secret: 'other' })],
    ['expired', () => signDevelopmentToken({ userId: 'u1', role: 'candidate', orgId: 'o1', secret, expiresIn: '-1h' })],
    ['unknown role', () => sign({ role: 'root', org: 'o1' })],
    ['no org', () => sign({ role: 'admin' })],
    ['no exp (it would never expire)', () => sign({ role: 'candidate', org: 'o1' }, { exp: false })],
    ['an exp that is not a number', () => sign({ role: 'candidate', org: 'o1', exp: 'never' }, { exp: false })],
    ['alg none', async () => `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"u","role":"admin","org":"o"}').toString('base64url')}.`],
  ])('rejects a token with %s', async (_label, make) => {
    const error = await verify(await make()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('UNAUTHENTICATED');
  });

  it('checks issuer and audience when configured, and accepts a token with exp and them', async () => {
    const strict = createTokenVerifier({ hs256Secret: secret, issuer: 'https://idp.test', audience: 'earshot' });
    const claims = { role: 'proctor', org: 'o1' };
    await expect(strict(await sign(claims, { issuer: 'https://idp.test', audience: 'earshot' }))).resolves.toEqual({ userId: 'u1', role: 'proctor', orgId: 'o1' });
    for (const token of [await sign(claims, { audience: 'earshot' }), await sign(claims, { issuer: 'https://idp.test' }), await sign(claims, { issuer: 'https://other', audience: 'earshot' })]) {
      await expect(strict(token)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    }
  });

  it('parses bearer headers strictly', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(() => bearerToken('Basic abc')).toThrow(DomainError);
    expect(() => bearerToken(undefined)).toThrow(DomainError);
  });
});

describe('session access rules', () => {
  const session = { userId: 'u1', orgId: 'o1' };
  it.each([
    [{ userId: 'u1', role: 'candidate', orgId: 'o1' }, true, true],
    [{ userId: 'u2', role: 'candidate', orgId: 'o1' }, false, false],
    [{ userId: 'p1', role: 'proctor', orgId: 'o1' }, true, false],
    [{ userId: 'a1', role: 'admin', orgId: 'o1' }, true, false],
    [{ userId: 'p2', role: 'proctor', orgId: 'o2' }, false, false],
    [{ userId: 'u1', role: 'candidate', orgId: 'o2' }, false, false],
  ] as const)('%o reads %s writes %s', (principal, read, write) => {
    expect(canReadSession(principal, session)).toBe(read);
    expect(canWriteSession(principal, session)).toBe(write);
  });
});
