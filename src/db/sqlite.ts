import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { DbError } from './errors.js';
import { defaultMigrationsDir, loadMigrations, pendingMigrations, type AppliedMigration } from './migrations.js';

export type SqliteDatabase = Database.Database;

export interface OpenSqliteOptions {
  readonly path: string;
  /** Defaults to the repository's migrations/sqlite. */
  readonly migrationsDir?: string;
  /** Refuse to create a new file (read-side tools such as `ledger verify`). */
  readonly mustExist?: boolean;
}

export interface MigrationReport {
  readonly applied: readonly string[];
  readonly alreadyApplied: number;
}

const SCHEMA_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  checksum TEXT NOT NULL,
  applied_at TEXT NOT NULL
) STRICT`;

/**
 * Applies pending migrations in id order, each recorded with its checksum. All of it runs
 * in one IMMEDIATE transaction so two processes opening the same file cannot both apply.
 */
export function migrateSqlite(db: SqliteDatabase, migrationsDir: string): MigrationReport {
  const files = loadMigrations(migrationsDir);
  const run = db.transaction(() => {
    db.exec(SCHEMA_TABLE);
    const applied = db.prepare('SELECT id, name, checksum FROM schema_migrations ORDER BY id').all() as AppliedMigration[];
    const pending = pendingMigrations(applied, files);
    const record = db.prepare('INSERT INTO schema_migrations (id, name, checksum, applied_at) VALUES (?, ?, ?, ?)');
    for (const m of pending) {
      try {
        db.exec(m.sql);
      } catch (err) {
        throw new DbError('MIGRATION_FAILED', `migration ${m.name} failed: ${(err as Error).message}`, { cause: err });
      }
      record.run(m.id, m.name, m.checksum, new Date().toISOString());
    }
    return { applied: pending.map((m) => m.name), alreadyApplied: applied.length };
  });
  return run.immediate();
}

/**
 * Opens the database file in WAL mode with `synchronous=FULL` (a commit returns only after
 * the WAL is fsynced) and brings the schema up to date.
 */
export function openSqlite(opts: OpenSqliteOptions): { db: SqliteDatabase; migrations: MigrationReport } {
  if (opts.mustExist && opts.path !== ':memory:' && !existsSync(opts.path)) {
    throw new DbError('DB_NOT_FOUND', `database file ${opts.path} does not exist`);
  }
  const db = new Database(opts.path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    const migrations = migrateSqlite(db, opts.migrationsDir ?? defaultMigrationsDir('sqlite'));
    return { db, migrations };
  } catch (err) {
    db.close();
    throw err;
  }
}
