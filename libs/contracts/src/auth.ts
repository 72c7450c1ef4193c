import { Type, type Static } from '@sinclair/typebox';

export const ROLES = ['candidate', 'proctor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Claims Earshot reads from a JWT: `sub` user id, `role`, `org`. */
export const TokenClaimsSchema = Type.Object({
  sub: Type.String({ minLength: 1, maxLength: 200 }),
  role: Type.Union(ROLES.map((role) => Type.Literal(role))),
  org: Type.String({ minLength: 1, maxLength: 200 }),
});
export type TokenClaims = Static<typeof TokenClaimsSchema>;

/** The authenticated caller, as use cases see it. */
export interface Principal {
  userId: string;
  role: Role;
  orgId: string;
}
