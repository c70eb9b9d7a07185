import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TokenStore } from '../api/tokens.js';
import type { ApiInstance } from '../api/types.js';
import { pageContext, PRESESSION_COOKIE, roleName, safeNext, sendPage, type PageContext } from './context.js';
import { html } from './html.js';
import { LANG_COOKIE } from './i18n.js';
import { csrfField, layout } from './layout.js';
import { ConsoleSessions, cookieHeader, parseCookies, safeEqual, SESSION_COOKIE } from './sessions.js';

type Form = Record<string, string | undefined>;

export function isSecure(request: FastifyRequest, sessions: ConsoleSessions): boolean {
  return sessions.settings.secureCookie === 'always' || request.protocol === 'https';
}

/** The pre-session token (login CSRF, language form): a random value in a cookie, echoed by the form. */
function presession(request: FastifyRequest, reply: FastifyReply, sessions: ConsoleSessions): string {
  const have = parseCookies(request.headers.cookie).get(PRESESSION_COOKIE);
  if (have && /^[A-Za-z0-9_-]{43}$/.test(have)) return have;
  const value = randomBytes(32).toString('base64url');
  reply.header('set-cookie', cookieHeader(PRESESSION_COOKIE, value, { secure: isSecure(request, sessions) }));
  return value;
}

function presessionOk(request: FastifyRequest, given: string | undefined): boolean {
  const have = parseCookies(request.headers.cookie).get(PRESESSION_COOKIE);
  return !!have && !!given && safeEqual(have, given);
}

function signInPage(ctx: PageContext, opts: { next: string; message?: string; error?: string }) {
  const { t } = ctx;
  return layout(
    ctx,
    { title: t('signIn.title') },
    html`${opts.message ? html`<p class="notice" role="status">${opts.message}</p>` : ''}
${opts.error ? html`<p class="error" role="alert" id="sign-in-error">${opts.error}</p>` : ''}
<p>${t('signIn.intro')}</p>
<form method="post" action="/console/sign-in" class="stack">
${csrfField(ctx)}<input type="hidden" name="next" value="${opts.next}">
<label for="token">${t('signIn.token')}</label>
<input id="token" name="token" type="password" autocomplete="off" spellcheck="false" required autofocus${opts.error ? html` aria-describedby="sign-in-error" aria-invalid="true"` : ''}>
<button type="submit">${t('signIn.submit')}</button>
</form>`,
  );
}

/** Sign-in (token → session cookie), sign-out and the language switch. */
export function signInRoutes(app: ApiInstance, deps: { tokens: TokenStore; sessions: ConsoleSessions }): void {
  const { sessions, tokens } = deps;

  app.get('/sign-in', { config: { public: true }, schema: { hide: true } }, async (request, reply) => {
    const q = request.query as Form;
    const ctx = pageContext(request, presession(request, reply, sessions));
    const message = q.m === 'expired' ? ctx.t('signIn.expired') : q.m === 'out' ? ctx.t('signIn.signedOut') : undefined;
    return sendPage(reply, signInPage({ ...ctx, principal: null }, { next: safeNext(q.next), ...(message ? { message } : {}) }));
  });

  app.post('/sign-in', { config: { public: true }, schema: { hide: true } }, async (request, reply) => {
    const body = (request.body ?? {}) as Form;
    const ctx = { ...pageContext(request, presession(request, reply, sessions)), principal: null };
    const next = safeNext(body.next);
    if (!presessionOk(request, body._csrf)) return sendPage(reply, signInPage(ctx, { next, error: ctx.t('error.stale') }), 403);
    const token = typeof body.token === 'string' ? body.token.trim() : '';
    const principal = token ? await tokens.authenticate(token) : null;
    if (!principal) {
      request.log.warn({ event: 'console_sign_in_failed', ip: request.ip }, 'console sign-in refused: unknown or revoked token');
      return sendPage(reply, signInPage(ctx, { next, error: ctx.t('signIn.bad') }), 401);
    }
    if (principal.role === 'dialer') return sendPage(reply, signInPage(ctx, { next, error: ctx.t('signIn.noConsole', { role: roleName(ctx.t, principal.role) }) }), 403);
    const opened = await sessions.open(principal);
    request.log.info({ event: 'console_sign_in', tokenId: principal.id, role: principal.role }, 'console session opened');
    reply.header('set-cookie', cookieHeader(SESSION_COOKIE, opened.cookieValue, { secure: isSecure(request, sessions), maxAgeSeconds: sessions.cookieMaxAge }));
    return reply.redirect(next, 303);
  });

  // Needs a live session (any console role) and its CSRF token, like every other form.
  app.post('/sign-out', { config: { role: 'auditor' }, schema: { hide: true } }, async (request, reply) => {
    await sessions.close(parseCookies(request.headers.cookie).get(SESSION_COOKIE));
    reply.header('set-cookie', cookieHeader(SESSION_COOKIE, '', { secure: isSecure(request, sessions), maxAgeSeconds: 0 }));
    return reply.redirect('/console/sign-in?m=out', 303);
  });

  app.post('/lang', { config: { public: true }, schema: { hide: true } }, async (request, reply) => {
    const body = (request.body ?? {}) as Form;
    const session = await sessions.resolve(parseCookies(request.headers.cookie).get(SESSION_COOKIE));
    const ok = presessionOk(request, body._csrf) || (session !== null && !!body._csrf && safeEqual(session.csrf, body._csrf));
    if (!ok) return sendPage(reply, layout(pageContext(request), { title: 'ConsentLine' }, html`<p class="error" role="alert">${pageContext(request).t('error.stale')}</p>`), 403);
    const lang = body.lang === 'pl' ? 'pl' : 'en';
    reply.header('set-cookie', cookieHeader(LANG_COOKIE, lang, { secure: isSecure(request, sessions), maxAgeSeconds: 365 * 86400 }));
    return reply.redirect(safeNext(body.next), 303);
  });
}
