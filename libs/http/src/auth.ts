import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { bearerToken, type TokenVerifier } from '@earshot/auth';
import { DomainError, type Principal } from '@earshot/contracts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyInstance {
    /** preHandler that requires a valid bearer token and sets request.principal. */
    authenticate(request: FastifyRequest): Promise<void>;
  }
}

export const authPlugin = fp(async (app: FastifyInstance, options: { verifyToken: TokenVerifier }) => {
  app.decorateRequest('principal', null);
  app.decorate('authenticate', async (request: FastifyRequest) => {
    request.principal = await options.verifyToken(bearerToken(request.headers.authorization));
  });
});

/** The caller of an authenticated route. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new DomainError('UNAUTHENTICATED');
  return request.principal;
}
