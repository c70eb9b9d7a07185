import type { SqliteDatabase } from '../db/sqlite.js';
import { sqliteAssuranceLedger } from '../evidence/assurance-ledger.js';
import { AssuranceRepo } from './repo.js';
import type { SqlExec } from './sql.js';

/**
 * {@link SqlExec} on a SQLite connection of its own (statements are synchronous; a transaction
 * is BEGIN IMMEDIATE … COMMIT around the awaited function, safe because no one else uses the connection).
 */
export function sqliteExec(db: SqliteDatabase): SqlExec {
  const x: SqlExec = {
    all: async <R>(sql: string, params: readonly unknown[] = []) => db.prepare(sql).all(...params) as R[],
    run: async (sql, params = []) => db.prepare(sql).run(...params).changes,
    async tx(fn) {
      db.exec('BEGIN IMMEDIATE');
      try {
        const out = await fn(x);
        db.exec('COMMIT');
        return out;
      } catch (err) {
        db.exec('ROLLBACK');
        throw err;
      }
    },
  };
  return x;
}

/** Assurance's repository and its questions to the ledger, on one SQLite connection. */
export function sqliteAssurance(db: SqliteDatabase) {
  return { repo: new AssuranceRepo(sqliteExec(db)), ledger: sqliteAssuranceLedger(db) };
}
