import type pg from 'pg';
import { DbError } from './errors.js';
import { loadMigrations, pendingMigrations, type AppliedMigration } from './migrations.js';
import { withPgTransaction } from './pg-transaction.js';
import type { MigrationReport } from './sqlite.js';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** A schema name safe to splice into SQL unquoted. */
export function checkSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) throw new TypeError(`schema ${JSON.stringify(schema)} must match ${SCHEMA_NAME.source}`);
  return schema;
}

const SCHEMA_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  checksum TEXT NOT NULL,
  applied_at TEXT NOT NULL
)`;

/**
 * Applies pending migrations in id order, each recorded with its checksum, all in one
 * transaction (PostgreSQL DDL is transactional: a failing file leaves nothing behind).
 * The transaction first takes `pg_advisory_xact_lock` on a key for this schema, so when
 * several instances start together one applies and the others wait, then find nothing
 * pending. A changed or missing applied file throws the same {@link DbError} as SQLite.
 */
export async function migratePg(pool: pg.Pool, migrationsDir: string, schema?: string): Promise<MigrationReport> {
  const files = loadMigrations(migrationsDir);
  return withPgTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`consentline.migrations:${schema ?? ''}`]);
    if (schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS ${checkSchemaName(schema)}`);
    await client.query(SCHEMA_TABLE);
    const applied = (await client.query<AppliedMigration>('SELECT id, name, checksum FROM schema_migrations ORDER BY id')).rows;
    const pending = pendingMigrations(applied, files);
    for (const m of pending) {
      try {
        // No parameters: the simple protocol, so a file may hold many statements.
        await client.query(m.sql);
      } catch (err) {
        throw new DbError('MIGRATION_FAILED', `migration ${m.name} failed: ${(err as Error).message}`, { cause: err });
      }
      await client.query('INSERT INTO schema_migrations (id, name, checksum, applied_at) VALUES ($1, $2, $3, $4)', [
        m.id,
        m.name,
        m.checksum,
        new Date().toISOString(),
      ]);
    }
    return { applied: pending.map((m) => m.name), alreadyApplied: applied.length };
  });
}
