import { Value } from '@sinclair/typebox/value';
import { createRemoteJWKSet, jwtVerify, SignJWT, type JWTVerifyGetKey } from 'jose';
import { DomainError, TokenClaimsSchema, type Principal, type Role } from '@earshot/contracts';

export interface TokenVerifierOptions {
  /** HS256 shared secret (development default documented in README). Ignored when jwksUrl is set. */
  hs256Secret?: string;
  /** RS256/ES256 via a JWKS endpoint (production identity providers). */
  jwksUrl?: string;
  /** Required `iss`, checked when set (config requires it in production). */
  issuer?: string;
  /** Required `aud`, checked when set (config requires it in production). */
  audience?: string;
  /** Allowed clock skew. Default 30 s. Tokens without `exp` are always refused. */
  clockToleranceSec?: number;
}

export type TokenVerifier = (token: string) => Promise<Principal>;

/** Verifies a bearer token and returns the caller. Throws DomainError UNAUTHENTICATED on anything wrong. */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const common = {
    issuer: options.issuer,
    audience: options.audience,
    clockTolerance: options.clockToleranceSec ?? 30,
    // A token without an expiry would be valid forever, past any logout or role change.
    requiredClaims: ['exp'],
  };
  let verify: (token: string) => Promise<{ payload: unknown }>;
  if (options.jwksUrl) {
    const jwks: JWTVerifyGetKey = createRemoteJWKSet(new URL(options.jwksUrl));
    verify = (token) => jwtVerify(token, jwks, { ...common, algorithms: ['RS256', 'ES256'] });
  } else if (options.hs256Secret) {
    const key = new TextEncoder().encode(options.hs256Secret);
    verify = (token) => jwtVerify(token, key, { ...common, algorithms: ['HS256'] });
  } else {
    throw new Error('createTokenVerifier needs hs256Secret or jwksUrl');
  }
  return async (token) => {
    let payload: unknown;
    try {
      ({ payload } = await verify(token));
    } catch {
      throw new DomainError('UNAUTHENTICATED', 'The token is invalid or expired');
    }
    if (!Value.Check(TokenClaimsSchema, payload)) {
      throw new DomainError('UNAUTHENTICATED', 'The token lacks sub, role or org claims');
    }
    return { userId: payload.sub, role: payload.role, orgId: payload.org };
  };
}

/** Extracts the token from an `Authorization: Bearer ...` header. */
export function bearerToken(header: string | undefined): string {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  if (!match?.[1]) throw new DomainError('UNAUTHENTICATED', 'Send Authorization: Bearer <token>');
  return match[1];
}

export interface SignTokenInput {
  userId: string;
  role: Role;
  orgId: string;
  secret: string;
  expiresIn?: string;
  issuer?: string;
  audience?: string;
}

/** HS256 token for development and tests. */
export async function signDevelopmentToken(input: SignTokenInput): Promise<string> {
  let jwt = new SignJWT({ role: input.role, org: input.orgId })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(input.userId)
    .setIssuedAt()
    .setExpirationTime(input.expiresIn ?? '12h');
  if (input.issuer) jwt = jwt.setIssuer(input.issuer);
  if (input.audience) jwt = jwt.setAudience(input.audience);
  return jwt.sign(new TextEncoder().encode(input.secret));
}

/** Who may see a session: its candidate, or a proctor/admin of its org. */
export interface SessionOwnership {
  userId: string;
  orgId: string;
}

export const canReadSession = (principal: Principal, session: SessionOwnership): boolean =>
  principal.role === 'candidate'
    ? principal.userId === session.userId && principal.orgId === session.orgId
    : principal.orgId === session.orgId;

/** Only the candidate who owns a session records into it. */
export const canWriteSession = (principal: Principal, session: SessionOwnership): boolean =>
  principal.role === 'candidate' && principal.userId === session.userId && principal.orgId === session.orgId;
