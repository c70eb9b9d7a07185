import type { PgQueryable } from '../db/pg.js';
import { hashToken, looksLikeToken, newToken, TOKEN_COLUMNS, toTokenInfo, type Role, type TokenRow, type TokenStore } from './tokens.js';

/** {@link TokenStore} on the PostgreSQL evidence database (table api_tokens, migrations 0005 and 0045). */
export class PgTokenStore implements TokenStore {
  readonly #db: PgQueryable;

  constructor(db: PgQueryable) {
    this.#db = db;
  }

  async create(name: string, role: Role, subject = name) {
    const { token, row, hash } = newToken(name, role, subject, new Date());
    await this.#db.query('INSERT INTO api_tokens (id, name, role, subject, token_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)', [
      row.id,
      name,
      role,
      subject,
      hash,
      row.created_at,
    ]);
    return { info: toTokenInfo(row), token };
  }

  async authenticate(token: string) {
    if (!looksLikeToken(token)) return null;
    const { rows } = await this.#db.query<TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL`, [hashToken(token)]);
    return rows[0] ? toTokenInfo(rows[0]) : null;
  }

  async list() {
    const { rows } = await this.#db.query<TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM api_tokens ORDER BY created_at, id`);
    return rows.map(toTokenInfo);
  }

  async revoke(id: string) {
    const r = await this.#db.query('UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [new Date().toISOString(), id]);
    return (r.rowCount ?? 0) > 0;
  }
}
