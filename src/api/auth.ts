import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from './errors.js';
import { roleAllows, type Role, type TokenInfo, type TokenStore } from './tokens.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The least role a route needs. A route without one is admin-only: secure by default. */
    role?: Role;
    /** Liveness and the like: no token. */
    public?: boolean;
  }
  interface FastifyRequest {
    principal: TokenInfo | null;
  }
}

export function bearer(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match ? match[1]! : null;
}

/** Checks every request's token and role before its handler (and its validation) runs. */
export function registerAuth(app: Pick<FastifyInstance, 'decorateRequest' | 'addHook'>, tokens: TokenStore): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config;
    if (config.public || request.routeOptions.url === undefined) return;
    const token = bearer(request);
    const principal = token ? await tokens.authenticate(token) : null;
    if (!principal) {
      request.log.warn(
        { event: 'auth_failed', reason: token ? 'unknown_or_revoked_token' : 'no_token', route: request.routeOptions.url, ip: request.ip },
        'authentication failed',
      );
      throw new ApiError('unauthorized');
    }
    const needed = config.role ?? 'admin';
    if (!roleAllows(principal.role, needed)) {
      request.log.warn(
        { event: 'auth_refused', tokenId: principal.id, role: principal.role, needed, route: request.routeOptions.url },
        'authorisation refused',
      );
      throw new ApiError('forbidden', `this route needs the ${needed} role (your token: ${principal.role})`, { needed, held: principal.role });
    }
    request.principal = principal;
  });
}
