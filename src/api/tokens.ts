import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from '../db/sqlite.js';

export const ROLES = ['auditor', 'dpo', 'admin', 'dialer', 'agent-desktop'] as const;
export type Role = (typeof ROLES)[number];
const RANKED: readonly Role[] = ['auditor', 'dpo', 'admin'];

/** Roles that stand apart from the ranks: each may do only what needs it. */
const APART: ReadonlySet<Role> = new Set(['dialer', 'agent-desktop']);

/**
 * auditor ⊂ dpo ⊂ admin: each role may do everything the ones before it may. `dialer` stands
 * apart (least privilege for outbound dialers): it may do only what needs `dialer` (marketing
 * consent look-ups), which a dpo or admin may do too, an auditor not. `agent-desktop` stands apart
 * too (agent desktops, payment IVRs): pausing and resuming a call's recording, which only an
 * admin may do besides; a dpo or auditor reads evidence and never steers a live recording.
 */
export function roleAllows(held: Role, needed: Role): boolean {
  if (needed === 'dialer') return held === 'dialer' || held === 'dpo' || held === 'admin';
  if (needed === 'agent-desktop') return held === 'agent-desktop' || held === 'admin';
  if (APART.has(held)) return false;
  return RANKED.indexOf(held) >= RANKED.indexOf(needed);
}

export interface TokenInfo {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  /** The person the token was issued to: four eyes means two different subjects. */
  readonly subject: string;
  readonly createdAt: string;
  readonly revokedAt: string | null;
}

export interface TokenStore {
  /** Creates a token for `subject` (default: its name); the plaintext is returned once and never stored. */
  create(name: string, role: Role, subject?: string): Promise<{ info: TokenInfo; token: string }>;
  /** The live token's identity, or null (unknown or revoked). */
  authenticate(token: string): Promise<TokenInfo | null>;
  list(): Promise<TokenInfo[]>;
  revoke(id: string): Promise<boolean>;
}

const PREFIX = 'clt_';

// Tokens carry 256 random bits, so a plain SHA-256 is enough: there is nothing to brute-force,
// and a slow password hash would only cost time on every request.
export const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

export interface TokenRow {
  id: string;
  name: string;
  role: Role;
  subject: string;
  created_at: string;
  revoked_at: string | null;
}
export const TOKEN_COLUMNS = 'id, name, role, subject, created_at, revoked_at';
export const toTokenInfo = (r: TokenRow): TokenInfo => ({ id: r.id, name: r.name, role: r.role, subject: r.subject, createdAt: r.created_at, revokedAt: r.revoked_at });

/** A new token and the row that stores its hash. */
export function newToken(name: string, role: Role, subject: string, now: Date): { token: string; row: TokenRow; hash: string } {
  const token = PREFIX + randomBytes(32).toString('base64url');
  return { token, hash: hashToken(token), row: { id: randomUUID(), name, role, subject, created_at: now.toISOString(), revoked_at: null } };
}
export const looksLikeToken = (token: string) => token.startsWith(PREFIX) && token.length <= 200;

export class SqliteTokenStore implements TokenStore {
  /** Every request authenticates: its statement is prepared once, on first use. */
  #byHash: Statement<[string], TokenRow> | null = null;

  constructor(private readonly db: SqliteDatabase) {}

  async create(name: string, role: Role, subject = name) {
    const { token, row, hash } = newToken(name, role, subject, new Date());
    this.db
      .prepare('INSERT INTO api_tokens (id, name, role, subject, token_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(row.id, name, role, subject, hash, row.created_at);
    return { info: toTokenInfo(row), token };
  }

  async authenticate(token: string) {
    if (!looksLikeToken(token)) return null;
    this.#byHash ??= this.db.prepare<[string], TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL`);
    const row = this.#byHash.get(hashToken(token));
    return row ? toTokenInfo(row) : null;
  }

  async list() {
    return (this.db.prepare(`SELECT ${TOKEN_COLUMNS} FROM api_tokens ORDER BY created_at`).all() as TokenRow[]).map(toTokenInfo);
  }

  async revoke(id: string) {
    const r = this.db.prepare('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(new Date().toISOString(), id);
    return r.changes > 0;
  }
}
