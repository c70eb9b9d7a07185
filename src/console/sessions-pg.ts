import type { PgQueryable } from '../db/pg.js';
import { fromJoinRow, SESSION_JOIN_SELECT, type ConsoleSessionStore, type SessionJoinRow, type SessionRecord } from './sessions.js';

/** {@link ConsoleSessionStore} on PostgreSQL (migration 0050). */
export class PgSessionStore implements ConsoleSessionStore {
  constructor(private readonly db: PgQueryable) {}

  async insert(s: SessionRecord) {
    await this.db.query('INSERT INTO console_sessions (id_hash, token_id, csrf, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $5)', [
      s.idHash,
      s.tokenId,
      s.csrf,
      s.createdAt,
      s.lastSeenAt,
    ]);
  }

  async find(idHash: string) {
    const { rows } = await this.db.query<SessionJoinRow>(`${SESSION_JOIN_SELECT}$1`, [idHash]);
    return rows[0] ? fromJoinRow(rows[0]) : null;
  }

  async touch(idHash: string, at: string) {
    await this.db.query('UPDATE console_sessions SET last_seen_at = $1 WHERE id_hash = $2 AND ended_at IS NULL', [at, idHash]);
  }

  async end(idHash: string, at: string) {
    await this.db.query('UPDATE console_sessions SET ended_at = $1 WHERE id_hash = $2 AND ended_at IS NULL', [at, idHash]);
  }

  async purge(idleBefore: string, startedBefore: string) {
    const r = await this.db.query('DELETE FROM console_sessions WHERE ended_at IS NOT NULL OR last_seen_at < $1 OR created_at < $2', [idleBefore, startedBefore]);
    return r.rowCount ?? 0;
  }
}
