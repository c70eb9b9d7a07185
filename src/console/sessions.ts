import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { TokenInfo, TokenRow } from '../api/tokens.js';
import { toTokenInfo } from '../api/tokens.js';

/** One console session as stored: the cookie's secret only as its SHA-256. */
export interface SessionRecord {
  readonly idHash: string;
  readonly tokenId: string;
  readonly csrf: string;
  readonly createdAt: string;
  readonly lastSeenAt: string;
}

/** A live session joined with its (unrevoked) token. */
export interface SessionWithToken extends SessionRecord {
  readonly token: TokenInfo;
}

/** The console_sessions table (migration 0050) on either engine. */
export interface ConsoleSessionStore {
  insert(s: SessionRecord): Promise<void>;
  /** The unended session and its token, or null when either is gone (token revoked: no session). */
  find(idHash: string): Promise<SessionWithToken | null>;
  touch(idHash: string, at: string): Promise<void>;
  end(idHash: string, at: string): Promise<void>;
  /** Ends sessions idle since before `idleBefore` or started before `startedBefore`; returns how many. */
  purge(idleBefore: string, startedBefore: string): Promise<number>;
}

export interface SessionSettings {
  readonly idleMinutes: number;
  readonly absoluteHours: number;
  /** 'auto': Secure when the request came over TLS; 'always': Secure regardless. */
  readonly secureCookie: 'auto' | 'always';
}

export const SESSION_COOKIE = 'consentline_session';
export const sha256Hex = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

/** Rows as both engines return them. */
export interface SessionJoinRow extends TokenRow {
  s_id_hash: string;
  s_token_id: string;
  s_csrf: string;
  s_created_at: string;
  s_last_seen_at: string;
}
export const SESSION_JOIN_SELECT =
  'SELECT s.id_hash AS s_id_hash, s.token_id AS s_token_id, s.csrf AS s_csrf, s.created_at AS s_created_at, s.last_seen_at AS s_last_seen_at, ' +
  't.id, t.name, t.role, t.subject, t.created_at, t.revoked_at FROM console_sessions s JOIN api_tokens t ON t.id = s.token_id ' +
  'WHERE s.ended_at IS NULL AND t.revoked_at IS NULL AND s.id_hash = ';
export const fromJoinRow = (r: SessionJoinRow): SessionWithToken => ({
  idHash: r.s_id_hash,
  tokenId: r.s_token_id,
  csrf: r.s_csrf,
  createdAt: r.s_created_at,
  lastSeenAt: r.s_last_seen_at,
  token: toTokenInfo(r),
});

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Cookie header → map (first value wins); no dependency for a dozen lines. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (name && !out.has(name)) out.set(name, value);
  }
  return out;
}

export function cookieHeader(name: string, value: string, opts: { secure: boolean; maxAgeSeconds?: number; httpOnly?: boolean }): string {
  const parts = [`${name}=${value}`, 'Path=/', 'SameSite=Strict'];
  if (opts.httpOnly !== false) parts.push('HttpOnly');
  if (opts.secure) parts.push('Secure');
  if (opts.maxAgeSeconds !== undefined) parts.push(`Max-Age=${opts.maxAgeSeconds}`);
  return parts.join('; ');
}

/**
 * Sessions: a random 256-bit secret in an HttpOnly SameSite=Strict cookie, stored as its hash,
 * bound to the API token it was exchanged for (revoking the token ends the session), with an
 * idle and an absolute expiry and a per-session CSRF token.
 */
export class ConsoleSessions {
  constructor(
    private readonly store: ConsoleSessionStore,
    readonly settings: SessionSettings,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async open(token: TokenInfo): Promise<{ cookieValue: string; csrf: string }> {
    const secret = randomBytes(32).toString('base64url');
    const csrf = randomBytes(32).toString('base64url');
    const now = this.now();
    const at = now.toISOString();
    // Ended and expired sessions go at each sign-in: the table holds live ones only.
    await this.store.purge(new Date(now.getTime() - this.settings.idleMinutes * 60_000).toISOString(), new Date(now.getTime() - this.settings.absoluteHours * 3_600_000).toISOString());
    await this.store.insert({ idHash: sha256Hex(secret), tokenId: token.id, csrf, createdAt: at, lastSeenAt: at });
    return { cookieValue: secret, csrf };
  }

  /** The session a cookie value names, if alive; refreshes its idle timer (at most once a minute). */
  async resolve(cookieValue: string | undefined): Promise<SessionWithToken | null> {
    if (!cookieValue || !/^[A-Za-z0-9_-]{43}$/.test(cookieValue)) return null;
    const idHash = sha256Hex(cookieValue);
    const s = await this.store.find(idHash);
    if (!s) return null;
    const now = this.now();
    const idleMs = now.getTime() - Date.parse(s.lastSeenAt);
    const ageMs = now.getTime() - Date.parse(s.createdAt);
    if (idleMs > this.settings.idleMinutes * 60_000 || ageMs > this.settings.absoluteHours * 3_600_000) {
      await this.store.end(idHash, now.toISOString());
      return null;
    }
    if (idleMs > 60_000) await this.store.touch(idHash, now.toISOString());
    return s;
  }

  async close(cookieValue: string | undefined): Promise<void> {
    if (cookieValue) await this.store.end(sha256Hex(cookieValue), this.now().toISOString());
  }

  /** Seconds the cookie may live in the browser: the absolute expiry (idle is enforced here). */
  get cookieMaxAge(): number {
    return Math.round(this.settings.absoluteHours * 3600);
  }
}
