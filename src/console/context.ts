import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Role, TokenInfo } from '../api/tokens.js';
import { LANG_COOKIE, negotiateLang, translator, type Lang, type T } from './i18n.js';
import { parseCookies } from './sessions.js';

/** What every page needs to render: language, texts, who is signed in, the form token. */
export interface PageContext {
  readonly lang: Lang;
  readonly t: T;
  readonly principal: TokenInfo | null;
  /** The session's CSRF token (signed in) or the pre-session double-submit token (sign-in page). */
  readonly csrf: string;
  /** The page's own path and query, for the language switch's way back. */
  readonly here: string;
}

export const PRESESSION_COOKIE = 'consentline_csrf';

export function pageContext(request: FastifyRequest, csrf?: string): PageContext {
  const cookies = parseCookies(request.headers.cookie);
  const lang = negotiateLang(request, cookies.get(LANG_COOKIE));
  return {
    lang,
    t: translator(lang),
    principal: request.principal,
    csrf: csrf ?? request.sessionCsrf ?? cookies.get(PRESESSION_COOKIE) ?? '',
    here: request.url,
  };
}

/** The role a principal holds, as the page shows it. */
export const roleName = (t: T, role: Role) => t(`role.${role}`);

/** Only paths inside the console are followed after sign-in or a language switch. */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/console(\/[A-Za-z0-9._~:@!$&'()*+,;=%/?-]*)?$/.test(next) && !next.startsWith('//') ? next : '/console/calls';
}

export function sendPage(reply: FastifyReply, body: { text: string }, status = 200): FastifyReply {
  return reply.status(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(body.text);
}
