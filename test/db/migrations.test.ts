import { appendFileSync, cpSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { DbError } from '../../src/db/errors.js';
import { defaultMigrationsDir, loadMigrations } from '../../src/db/migrations.js';
import { openSqlite } from '../../src/db/sqlite.js';
import { tempDir } from '../evidence/helpers.js';

function migrationsCopy(): string {
  const dir = join(tempDir(), 'migrations');
  cpSync(defaultMigrationsDir('sqlite'), dir, { recursive: true });
  return dir;
}

function open(path: string, migrationsDir: string) {
  const { db, migrations } = openSqlite({ path, migrationsDir });
  db.close();
  return migrations;
}

function failure(fn: () => unknown): DbError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DbError) return err;
    throw err;
  }
  throw new Error('expected a DbError');
}

describe('sqlite migrations', () => {
  it('applies files in id order once, recording each checksum', () => {
    const dir = migrationsCopy();
    writeFileSync(join(dir, '0002_extra.sql'), 'CREATE TABLE extra (x INTEGER);');
    const files = loadMigrations(dir);
    const path = join(tempDir(), 'db.sqlite');

    const first = open(path, dir);
    expect(first.applied.slice(0, 2)).toEqual(['0001_ledger.sql', '0002_extra.sql']);
    expect(first).toEqual({ applied: files.map((f) => f.name), alreadyApplied: 0 });
    expect(open(path, dir)).toEqual({ applied: [], alreadyApplied: files.length });

    const db = new Database(path, { readonly: true });
    const rows = db.prepare('SELECT name, checksum FROM schema_migrations ORDER BY id').all();
    expect(rows).toEqual(files.map((f) => ({ name: f.name, checksum: f.checksum })));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('stops with MIGRATION_CHECKSUM_MISMATCH naming the file when an applied migration changed', () => {
    const dir = migrationsCopy();
    const path = join(tempDir(), 'db.sqlite');
    open(path, dir);
    appendFileSync(join(dir, '0001_ledger.sql'), '\n-- an innocent-looking edit\n');

    const err = failure(() => open(path, dir));
    expect(err.code).toBe('MIGRATION_CHECKSUM_MISMATCH');
    expect(err.message).toContain('0001_ledger.sql');
    expect(err.message).toContain('new migration');
  });

  it('treats CRLF line endings as the same file', () => {
    const dir = migrationsCopy();
    const path = join(tempDir(), 'db.sqlite');
    writeFileSync(join(dir, '0099_x.sql'), 'CREATE TABLE x (a INTEGER);\nCREATE TABLE y (b INTEGER);\n');
    open(path, dir);
    writeFileSync(join(dir, '0099_x.sql'), 'CREATE TABLE x (a INTEGER);\r\nCREATE TABLE y (b INTEGER);\r\n');
    expect(open(path, dir).applied).toEqual([]);
  });

  it('refuses a database that has migrations this code does not know', () => {
    const dir = migrationsCopy();
    writeFileSync(join(dir, '0099_extra.sql'), 'CREATE TABLE extra (x INTEGER);');
    const path = join(tempDir(), 'db.sqlite');
    open(path, dir);
    rmSync(join(dir, '0099_extra.sql'));
    expect(failure(() => open(path, dir)).code).toBe('MIGRATION_MISSING');
  });

  it('rolls back every pending migration when one fails', () => {
    const dir = migrationsCopy();
    writeFileSync(join(dir, '0099_broken.sql'), 'CREATE TABLE nope (;');
    const path = join(tempDir(), 'db.sqlite');
    const err = failure(() => open(path, dir));
    expect(err.code).toBe('MIGRATION_FAILED');
    expect(err.message).toContain('0099_broken.sql');
    const db = new Database(path, { readonly: true });
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name IN ('events', 'schema_migrations')").all()).toEqual([]);
    db.close();
  });

  it('rejects badly named files and duplicate ids', () => {
    const dir = migrationsCopy();
    writeFileSync(join(dir, 'ledger-fix.sql'), 'SELECT 1;');
    expect(failure(() => open(join(tempDir(), 'a.sqlite'), dir)).code).toBe('MIGRATION_BAD_NAME');
    rmSync(join(dir, 'ledger-fix.sql'));
    writeFileSync(join(dir, '0001_again.sql'), 'SELECT 1;');
    expect(failure(() => open(join(tempDir(), 'b.sqlite'), dir)).code).toBe('MIGRATION_BAD_NAME');
  });
});
