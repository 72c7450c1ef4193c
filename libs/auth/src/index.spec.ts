import { SignJWT } from 'jose';
import { DomainError } from '@earshot/contracts';
import { bearerToken, canReadSession, canWriteSession, createTokenVerifier, signDevelopmentToken } from './index';

const secret = 'test-secret';
const verify = createTokenVerifier({ hs256Secret: secret });

describe('token verification', () => {
  it('accepts a valid HS256 token and returns the principal', async () => {
    const token = await signDevelopmentToken({ userId: 'u1', role: 'candidate', orgId: 'o1', secret });
    await expect(verify(token)).resolves.toEqual({ userId: 'u1', role: 'candidate', orgId: 'o1' });
  });

  it.each([
    ['wrong secret', () => signDevelopmentToken({ userId: 'u1', role: 'candidate', orgId: 'o1', secret: 'other' })],
    ['expired', () => signDevelopmentToken({ userId: 'u1', role: 'candidate', orgId: 'o1', secret, expiresIn: '-1h' })],
    ['unknown role', () => new SignJWT({ role: 'root', org: 'o1' }).setProtectedHeader({ alg: 'HS256' }).setSubject('u1').sign(new TextEncoder().encode(secret))],
    ['no org', () => new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setSubject('u1').sign(new TextEncoder().encode(secret))],
    ['alg none', async () => `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"u","role":"admin","org":"o"}').toString('base64url')}.`],
  ])('rejects a token with %s', async (_label, make) => {
    const error = await verify(await make()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('UNAUTHENTICATED');
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
