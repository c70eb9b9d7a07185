import { timingSafeEqual } from 'node:crypto';
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
    /** Set when the principal came from a browser session cookie: the CSRF token unsafe methods must carry. */
    sessionCsrf: string | null;
  }
}

/**
 * Browser sessions (the console's cookie), as a second way to the same principal: a request
 * without a bearer token may carry a session cookie that was exchanged for a token. Roles and
 * everything after are the same code; unsafe methods then also need the session's CSRF token
 * (header `x-csrf-token`, or `_csrf` in a form body).
 */
export interface CookieAuthenticator {
  authenticate(request: FastifyRequest): Promise<{ principal: TokenInfo; csrf: string } | null>;
  /** A rate-limit key for the request's session cookie, or null without one. */
  rateKey(request: FastifyRequest): string | null;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function bearer(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match ? match[1]! : null;
}

/** Checks every request's token and role before its handler (and its validation) runs. */
export function registerAuth(app: Pick<FastifyInstance, 'decorateRequest' | 'addHook'>, tokens: TokenStore, cookies?: CookieAuthenticator): void {
  app.decorateRequest('principal', null);
  app.decorateRequest('sessionCsrf', null);
  app.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config;
    if (config.public || request.routeOptions.url === undefined) return;
    const token = bearer(request);
    let principal = token ? await tokens.authenticate(token) : null;
    if (!token && cookies) {
      const session = await cookies.authenticate(request);
      if (session) {
        principal = session.principal;
        request.sessionCsrf = session.csrf;
      }
    }
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
  // After body parsing (a form's _csrf is in its body), before validation and the handler.
  // Only a session sets sessionCsrf: without a cookie authenticator the check has nothing to do.
  if (!cookies) return;
  app.addHook('preValidation', async (request) => {
    if (request.sessionCsrf === null || SAFE_METHODS.has(request.method)) return;
    const header = request.headers['x-csrf-token'];
    const body = request.body as { _csrf?: unknown } | null | undefined;
    const given = typeof header === 'string' ? header : typeof body?._csrf === 'string' ? body._csrf : '';
    if (!csrfMatches(given, request.sessionCsrf)) {
      request.log.warn({ event: 'csrf_refused', tokenId: request.principal?.id, route: request.routeOptions.url }, 'CSRF token missing or wrong');
      throw new ApiError('forbidden', 'this form is stale or was not sent by the console: reload the page and try again');
    }
  });
}

function csrfMatches(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
