import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DbError } from './errors.js';

export type Dialect = 'sqlite' | 'postgres';

/** One plain SQL file, e.g. `0001_ledger.sql`; the id (`0001`) is shared across dialects. */
export interface MigrationFile {
  readonly id: string;
  readonly name: string;
  readonly sql: string;
  /** hex SHA-256 of the file, line endings normalised to LF. */
  readonly checksum: string;
}

const FILE_NAME = /^(\d{4})_[a-z0-9_]+\.sql$/;

export function migrationChecksum(sql: string): string {
  // A checkout with CRLF line endings is the same migration, not a changed one.
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n'), 'utf8').digest('hex');
}

/** Reads `dir`'s migrations in id order. */
export function loadMigrations(dir: string): MigrationFile[] {
  if (!existsSync(dir)) {
    throw new DbError('MIGRATIONS_DIR_NOT_FOUND', `migrations directory ${dir} does not exist`);
  }
  const files = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort();
  const seen = new Map<string, string>();
  return files.map((name) => {
    const match = FILE_NAME.exec(name);
    if (!match) {
      throw new DbError('MIGRATION_BAD_NAME', `migration file ${name} in ${dir} is not named NNNN_name.sql`);
    }
    const id = match[1]!;
    const other = seen.get(id);
    if (other !== undefined) {
      throw new DbError('MIGRATION_BAD_NAME', `migration files ${other} and ${name} share the id ${id}`);
    }
    seen.set(id, name);
    const sql = readFileSync(join(dir, name), 'utf8');
    return { id, name, sql, checksum: migrationChecksum(sql) };
  });
}

/**
 * Finds `migrations/<dialect>` by walking up from this module, so the same lookup works
 * from src/ under tsx and from dist/ after a build.
 */
export function defaultMigrationsDir(dialect: Dialect): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'migrations', dialect);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new DbError('MIGRATIONS_DIR_NOT_FOUND', `no migrations/${dialect} directory above ${fileURLToPath(import.meta.url)}`);
}

export interface AppliedMigration {
  readonly id: string;
  readonly name: string;
  readonly checksum: string;
}

/**
 * Compares what the database has applied with the files on disk; returns the files still
 * to apply. Throws a {@link DbError} when an applied file changed or disappeared.
 */
export function pendingMigrations(applied: readonly AppliedMigration[], files: readonly MigrationFile[]): MigrationFile[] {
  const byId = new Map(files.map((f) => [f.id, f]));
  for (const done of applied) {
    const file = byId.get(done.id);
    if (!file) {
      throw new DbError(
        'MIGRATION_MISSING',
        `migration ${done.name} was applied to this database but its file is missing: the database is newer than this code`,
      );
    }
    if (file.checksum !== done.checksum) {
      throw new DbError(
        'MIGRATION_CHECKSUM_MISMATCH',
        `migration ${file.name} changed after it was applied (applied sha256 ${done.checksum.slice(0, 12)}…, file sha256 ${file.checksum.slice(0, 12)}…): restore the file and put the change in a new migration`,
      );
    }
  }
  const appliedIds = new Set(applied.map((a) => a.id));
  return files.filter((f) => !appliedIds.has(f.id));
}
