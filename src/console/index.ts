import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CookieAuthenticator } from '../api/auth.js';
import { ApiError } from '../api/errors.js';
import type { TokenStore } from '../api/tokens.js';
import type { ApiInstance } from '../api/types.js';
import { ConsoleApiError } from './api-client.js';
import { assetRoutes } from './assets.js';
import { adminPages } from './pages/admin.js';
import { pageContext, sendPage } from './context.js';
import { html } from './html.js';
import { layout } from './layout.js';
import { callPages } from './pages/calls.js';
import { callPage } from './pages/call.js';
import { dpoPages } from './pages/dpo.js';
import { overviewPage } from './pages/overview.js';
import { verifyPage } from './pages/verify.js';
import { ConsoleSessions, parseCookies, sha256Hex, SESSION_COOKIE } from './sessions.js';
import { signInRoutes } from './sign-in.js';

export interface ConsoleDeps {
  readonly tokens: TokenStore;
  readonly sessions: ConsoleSessions;
  /** More pages (overview charts, DPO and admin pages) registered inside /console. */
  readonly pages?: ReadonlyArray<(app: ApiInstance) => void>;
}

/**
 * No script or style from anywhere but this origin, no inline script, no framing, no request
 * leaving the origin (connect-src, form-action, media-src 'self').
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "media-src 'self'",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ');

/** The session cookie as the API's second way to a principal. */
export function consoleCookies(sessions: ConsoleSessions): CookieAuthenticator {
  return {
    async authenticate(request) {
      const s = await sessions.resolve(parseCookies(request.headers.cookie).get(SESSION_COOKIE));
      return s ? { principal: s.token, csrf: s.csrf } : null;
    },
    rateKey(request) {
      const v = parseCookies(request.headers.cookie).get(SESSION_COOKIE);
      return v ? `s:${sha256Hex(v).slice(0, 32)}` : null;
    },
  };
}

function errorPage(request: FastifyRequest, reply: FastifyReply, status: number, title: string, message: string) {
  const ctx = pageContext(request);
  return sendPage(
    reply,
    layout(ctx, { title }, html`<p class="error" role="alert">${message}</p><p><a href="/console/calls">${ctx.t('error.back')}</a></p>`),
    status,
  );
}

/** The console under /console: pages, sign-in, assets; its own HTML errors. */
export function consoleRoutes(deps: ConsoleDeps) {
  return async (root: ApiInstance) => {
    await root.register(
      async (app: ApiInstance) => {
        app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_req, body, done) => {
          done(null, Object.fromEntries(new URLSearchParams(body as string)));
        });
        app.addHook('onSend', async (_request, reply, payload) => {
          reply.header('content-security-policy', CONSOLE_CSP);
          reply.header('referrer-policy', 'no-referrer');
          reply.header('permissions-policy', 'camera=(), microphone=(), geolocation=()');
          return payload;
        });
        app.setErrorHandler((error, request, reply) => {
          const t = pageContext(request).t;
          if (error instanceof ApiError && error.code === 'unauthorized') {
            const hadCookie = parseCookies(request.headers.cookie).has(SESSION_COOKIE);
            if (request.method === 'GET') return reply.redirect(`/console/sign-in?next=${encodeURIComponent(request.url)}${hadCookie ? '&m=expired' : ''}`, 303);
            return errorPage(request, reply, 401, t('signIn.title'), t('signIn.expired'));
          }
          if (error instanceof ApiError && error.code === 'forbidden') {
            const d = error.details as { needed?: string; held?: string } | undefined;
            const message = d?.needed ? t('error.forbidden', { needed: t(`role.${d.needed}`), held: t(`role.${d.held}`) }) : t('error.stale');
            return errorPage(request, reply, 403, t('error.forbidden.title'), message);
          }
          if (error instanceof ConsoleApiError && error.status === 404) return errorPage(request, reply, 404, t('error.notFound.title'), t('error.notFound'));
          if (error instanceof ConsoleApiError) return errorPage(request, reply, error.status, t('error.title'), t('error.generic', { status: error.status, message: error.message }));
          if (hasZodFastifySchemaValidationErrors(error)) return errorPage(request, reply, 400, t('error.title'), t('error.generic', { status: 400, message: error.message }));
          request.log.error({ err: error }, 'console page failed');
          return errorPage(request, reply, 500, t('error.title'), t('error.generic', { status: 500, message: 'internal error' }));
        });
        app.setNotFoundHandler((request, reply) => {
          const t = pageContext(request).t;
          return errorPage(request, reply, 404, t('error.notFound.title'), t('error.notFound'));
        });
        assetRoutes(app);
        signInRoutes(app, deps);
        app.get('/', { config: { public: true }, schema: { hide: true } }, async (_request, reply) => reply.redirect('/console/overview', 303));
        overviewPage(app);
        callPages(app);
        callPage(app);
        verifyPage(app);
        adminPages(app, deps);
        dpoPages(app);
        for (const pages of deps.pages ?? []) pages(app);
      },
      { prefix: '/console' },
    );
  };
}
