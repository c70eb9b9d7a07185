import type { SqliteDatabase } from '../db/sqlite.js';
import { fromJoinRow, SESSION_JOIN_SELECT, type ConsoleSessionStore, type SessionJoinRow, type SessionRecord } from './sessions.js';

/** {@link ConsoleSessionStore} on the SQLite file (migration 0050). */
export class SqliteSessionStore implements ConsoleSessionStore {
  constructor(private readonly db: SqliteDatabase) {}

  async insert(s: SessionRecord) {
    this.db
      .prepare('INSERT INTO console_sessions (id_hash, token_id, csrf, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?)')
      .run(s.idHash, s.tokenId, s.csrf, s.createdAt, s.lastSeenAt);
  }

  async find(idHash: string) {
    const row = this.db.prepare(`${SESSION_JOIN_SELECT}?`).get(idHash) as SessionJoinRow | undefined;
    return row ? fromJoinRow(row) : null;
  }

  async touch(idHash: string, at: string) {
    this.db.prepare('UPDATE console_sessions SET last_seen_at = ? WHERE id_hash = ? AND ended_at IS NULL').run(at, idHash);
  }

  async end(idHash: string, at: string) {
    this.db.prepare('UPDATE console_sessions SET ended_at = ? WHERE id_hash = ? AND ended_at IS NULL').run(at, idHash);
  }

  async purge(idleBefore: string, startedBefore: string) {
    return this.db
      .prepare('DELETE FROM console_sessions WHERE ended_at IS NOT NULL OR last_seen_at < ? OR created_at < ?')
      .run(idleBefore, startedBefore).changes;
  }
}
