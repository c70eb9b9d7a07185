import type pg from 'pg';
import type { PgQueryable } from '../db/pg.js';
import { withPgTransaction } from '../db/pg-transaction.js';
import { numberPlaceholders, type SqlExec } from './sql.js';

function on(db: PgQueryable, pool: pg.Pool | null): SqlExec {
  return {
    all: async <R>(sql: string, params: readonly unknown[] = []) => (await db.query(numberPlaceholders(sql), [...params])).rows as R[],
    run: async (sql, params = []) => (await db.query(numberPlaceholders(sql), [...params])).rowCount ?? 0,
    tx: (fn) => (pool ? withPgTransaction(pool, (client) => fn(on(client, null))) : fn(on(db, null))),
  };
}

/** {@link SqlExec} on a PostgreSQL pool. */
export function pgExec(pool: pg.Pool): SqlExec {
  return on(pool, pool);
}
