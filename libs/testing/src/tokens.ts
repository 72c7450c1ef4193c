import { SignJWT } from 'jose';
import type { Role } from '@earshot/contracts';

/**
 * An HS256 token with valid claims but no `exp`: one that would never expire. Verifiers must refuse it;
 * `signDevelopmentToken` (libs/auth) always sets an expiry and cannot make one.
 */
export function signTokenWithoutExpiry(input: { userId: string; role: Role; orgId: string; secret: string }): Promise<string> {
  return new SignJWT({ role: input.role, org: input.orgId })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(input.userId)
    .setIssuedAt()
    .sign(new TextEncoder().encode(input.secret));
}
