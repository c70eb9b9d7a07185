import { randomBytes, randomUUID } from 'node:crypto';
import type { PgQueryable } from '../db/pg.js';
import { hashToken, type Role, type TokenInfo, type TokenStore } from './tokens.js';

const PREFIX = 'clt_';

interface Row {
  id: string;
  name: string;
  role: Role;
  created_at: string;
  revoked_at: string | null;
}
const toInfo = (r: Row): TokenInfo => ({ id: r.id, name: r.name, role: r.role, createdAt: r.created_at, revokedAt: r.revoked_at });

/** {@link TokenStore} on the PostgreSQL evidence database (table api_tokens, migration 0005). */
export class PgTokenStore implements TokenStore {
  readonly #db: PgQueryable;

  constructor(db: PgQueryable) {
    this.#db = db;
  }

  async create(name: string, role: Role) {
    const token = PREFIX + randomBytes(32).toString('base64url');
    const row: Row = { id: randomUUID(), name, role, created_at: new Date().toISOString(), revoked_at: null };
    await this.#db.query('INSERT INTO api_tokens (id, name, role, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)', [
      row.id,
      name,
      role,
      hashToken(token),
      row.created_at,
    ]);
    return { info: toInfo(row), token };
  }

  async authenticate(token: string) {
    if (!token.startsWith(PREFIX) || token.length > 200) return null;
    const { rows } = await this.#db.query<Row>(
      'SELECT id, name, role, created_at, revoked_at FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL',
      [hashToken(token)],
    );
    return rows[0] ? toInfo(rows[0]) : null;
  }

  async list() {
    const { rows } = await this.#db.query<Row>('SELECT id, name, role, created_at, revoked_at FROM api_tokens ORDER BY created_at, id');
    return rows.map(toInfo);
  }

  async revoke(id: string) {
    const r = await this.#db.query('UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [new Date().toISOString(), id]);
    return (r.rowCount ?? 0) > 0;
  }
}
