import type { FastifyRequest } from 'fastify';
import { CALL_PAGE_MESSAGES } from './messages-call.js';
import { CALL_MESSAGES } from './messages-calls.js';
import { COMMON_MESSAGES } from './messages-common.js';
import { ADMIN_MESSAGES } from './messages-admin.js';
import { OVERVIEW_MESSAGES } from './messages-overview.js';
import { VERIFY_JS_MESSAGES } from './messages-verify.js';
import type { Messages } from './messages-type.js';

export type { Messages } from './messages-type.js';

export const LANGS = ['en', 'pl'] as const;
export type Lang = (typeof LANGS)[number];
export const LANG_COOKIE = 'consentline_lang';


const ALL: Messages[] = [COMMON_MESSAGES, CALL_MESSAGES, CALL_PAGE_MESSAGES, VERIFY_JS_MESSAGES, OVERVIEW_MESSAGES, ADMIN_MESSAGES];
const TABLE: Record<Lang, Record<string, string>> = {
  en: Object.assign({}, ...ALL.map((m) => m.en)) as Record<string, string>,
  pl: Object.assign({}, ...ALL.map((m) => m.pl)) as Record<string, string>,
};

/** Adds a page's texts (the overview, DPO and admin pages register theirs). */
export function registerMessages(m: Messages): void {
  Object.assign(TABLE.en, m.en);
  Object.assign(TABLE.pl, m.pl);
}

export type T = (key: string, vars?: Record<string, string | number>) => string;

export function translator(lang: Lang): T {
  return (key, vars) => {
    let s = TABLE[lang][key] ?? TABLE.en[key] ?? key;
    if (vars) for (const [k, v] of Object.entries(vars)) s = s.split(`{${k}}`).join(String(v));
    return s;
  };
}

/** The language cookie, else the browser's Accept-Language (q-values honoured), else English. */
export function negotiateLang(request: FastifyRequest, cookie: string | undefined): Lang {
  if (cookie === 'pl' || cookie === 'en') return cookie;
  const header = request.headers['accept-language'];
  if (typeof header !== 'string') return 'en';
  const ranked = header
    .split(',')
    .map((part, i) => {
      const [tag, ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)).find(Boolean);
      return { base: (tag ?? '').trim().toLowerCase().split('-')[0]!, q: q ? Number(q[1]) : 1, i };
    })
    .filter((x) => x.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const r of ranked) if (r.base === 'pl' || r.base === 'en') return r.base;
  return 'en';
}

/** Dates and numbers in the page's language, in the service's time zone (UTC stated). */
export function formatTime(iso: string | null | undefined, lang: Lang): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toLocaleString(lang === 'pl' ? 'pl-PL' : 'en-GB', { timeZone: 'UTC', dateStyle: 'short', timeStyle: 'medium' })} UTC`;
}

/** The texts a page's scripts need, as a JSON data block (not a script: the CSP allows no inline script). */
export function textsFor(lang: Lang, prefix: string): string {
  const t = translator(lang);
  const keys = Object.keys(TABLE.en).filter((k) => k.startsWith(prefix));
  return JSON.stringify(Object.fromEntries(keys.map((k) => [k, t(k)]))).replace(/</g, '\\u003c');
}
