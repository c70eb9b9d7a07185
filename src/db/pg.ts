import pg from 'pg';
import { defaultMigrationsDir } from './migrations.js';
import { checkSchemaName, migratePg } from './pg-migrations.js';
import type { MigrationReport } from './sqlite.js';

export type PgPool = pg.Pool;

/** The subset of pg we query through: a pool or one checked-out client. */
export interface PgQueryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

export interface OpenPgOptions {
  /** `postgres://user@host:port/database` (libpq-style URL; `postgresql://` also accepted). */
  readonly url: string;
  /**
   * Schema holding ConsentLine's tables (created if missing); default the server's
   * search_path (normally `public`). Tests use one schema per ledger.
   */
  readonly schema?: string;
  /** Connections in the pool (default 4): one writer, the rest for reads. */
  readonly max?: number;
  /** Defaults to the repository's migrations/postgres. */
  readonly migrationsDir?: string;
  readonly applicationName?: string;
}

const INT8_OID = 20;
const JSON_OID = 114;

/** `?` placeholders (SQL written once for both engines) as PostgreSQL's `$1, $2, …`; the SQL holds no literal `?`. */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

/**
 * Column types as the evidence code expects them, for this pool only (pg's global parsers
 * stay untouched): int8 (seq) as a number, since seq stays far below 2^53; json as the raw
 * stored text, because the stored text is what was hashed and a tampered value must reach
 * the verifier as stored.
 */
const TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID) return (v: string) => Number(v);
    if (oid === JSON_OID) return (v: string) => v;
    return pg.types.getTypeParser(oid, format ?? 'text');
  },
} as unknown as pg.CustomTypesConfig;

/** A pool whose connections use `schema` (if given) and the evidence type parsers. */
export function createPgPool(opts: Pick<OpenPgOptions, 'url' | 'schema' | 'max' | 'applicationName'>): PgPool {
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.max ?? 4,
    types: TYPES,
    application_name: opts.applicationName ?? 'consentline',
    // A process that stalls inside a transaction (frozen, partitioned) must not hold the
    // ledger lock for ever: the server ends such a session after 15 s idle in it.
    // synchronous_commit=on for these sessions whatever the server default: an acknowledged
    // append must be flushed to the WAL before COMMIT returns.
    options: [
      '-c synchronous_commit=on',
      '-c idle_in_transaction_session_timeout=15000',
      ...(opts.schema === undefined ? [] : [`-c search_path=${checkSchemaName(opts.schema)}`]),
    ].join(' '),
  });
  // An idle connection that drops (server restart) must not crash the process; the next
  // query checks out a fresh one and reports its own error.
  pool.on('error', () => undefined);
  return pool;
}

/**
 * Opens a pool to the PostgreSQL evidence database and brings its schema up to date (see
 * {@link migratePg}); every instance may do this at start-up at the same time.
 */
export async function openPg(opts: OpenPgOptions): Promise<{ pool: PgPool; migrations: MigrationReport }> {
  const pool = createPgPool(opts);
  try {
    const migrations = await migratePg(pool, opts.migrationsDir ?? defaultMigrationsDir('postgres'), opts.schema);
    return { pool, migrations };
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
}
