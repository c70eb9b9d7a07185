import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { onTestFinished } from 'vitest';
import { SqliteTokenStore } from '../../src/api/tokens.js';
import { defaultMigrationsDir } from '../../src/db/migrations.js';
import { openSqlite } from '../../src/db/sqlite.js';
import { openSqliteEvidenceStore } from '../../src/evidence/sqlite-store.js';
import type { Engine, Ledger } from './engine.js';
import { evidenceStoreContract } from './evidence-store.contract.js';

function tempPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'consentline-contract-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'ledger.sqlite');
}

/** A raw connection, with the append-only triggers dropped as an attacker would. */
async function raw(path: string, fn: (db: Database.Database) => void): Promise<void> {
  const db = new Database(path);
  try {
    db.exec('DROP TRIGGER IF EXISTS events_no_update; DROP TRIGGER IF EXISTS events_no_delete;');
    fn(db);
  } finally {
    db.close();
  }
}

function sqliteLedger(path: string): Ledger {
  return {
    // Inline commits: the writer thread costs a worker start per open, and test/evidence
    // covers it; the contract is about what is stored and read back.
    open: (opts = {}) => openSqliteEvidenceStore({ path, writerThread: false, ...opts }),
    async tokens() {
      const { db } = openSqlite({ path });
      onTestFinished(() => void db.close());
      return new SqliteTokenStore(db);
    },
    async storedData(seq) {
      const db = new Database(path, { readonly: true });
      try {
        return db.prepare('SELECT data FROM events WHERE seq = ?').pluck().get(seq) as string;
      } finally {
        db.close();
      }
    },
    async subjectRows() {
      const db = new Database(path, { readonly: true });
      try {
        return db.prepare('SELECT count(*) FROM subjects').pluck().get() as number;
      } finally {
        db.close();
      }
    },
    tamper: {
      setData: (seq, data) => raw(path, (db) => void db.prepare('UPDATE events SET data = ? WHERE seq = ?').run(data, seq)),
      setAt: (seq, at) => raw(path, (db) => void db.prepare('UPDATE events SET at = ? WHERE seq = ?').run(at, seq)),
      setCallId: (seq, c) => raw(path, (db) => void db.prepare('UPDATE events SET call_id = ? WHERE seq = ?').run(c, seq)),
      delete: (seq) => raw(path, (db) => void db.prepare('DELETE FROM events WHERE seq = ?').run(seq)),
      swap: (a, b) =>
        raw(path, (db) => {
          db.prepare('UPDATE events SET seq = ? WHERE seq = ?').run(-a, a);
          db.prepare('UPDATE events SET seq = ? WHERE seq = ?').run(a, b);
          db.prepare('UPDATE events SET seq = ? WHERE seq = ?').run(b, -a);
        }),
      insertBelowOne: () =>
        raw(path, (db) =>
          db
            .prepare(`INSERT INTO events (seq, call_id, at, kind, data, prev_hash, hash) SELECT 0, call_id, at, kind, data, ?, hash FROM events WHERE seq = 1`)
            .run('f'.repeat(64)),
        ),
      async casualEdits() {
        const db = new Database(path);
        const errors: string[] = [];
        for (const sql of ["UPDATE events SET data = '{}' WHERE seq = 2", 'DELETE FROM events WHERE seq = 2']) {
          try {
            db.prepare(sql).run();
          } catch (err) {
            errors.push((err as Error).message);
          }
        }
        db.close();
        return errors;
      },
    },
  };
}

const engine: Engine = {
  name: 'sqlite',
  migrationsDir: defaultMigrationsDir('sqlite'),
  async ledger() {
    return sqliteLedger(tempPath());
  },
  async migrationTarget() {
    const path = tempPath();
    return {
      async migrate(dir) {
        const { db, migrations } = openSqlite({ path, migrationsDir: dir });
        db.close();
        return migrations;
      },
      async tables(names) {
        const db = new Database(path, { readonly: true });
        try {
          const rows = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name IN (${names.map(() => '?').join(', ')})`).pluck().all(...names);
          return rows as string[];
        } finally {
          db.close();
        }
      },
      async query(sql) {
        const db = new Database(path);
        try {
          const st = db.prepare(sql);
          return st.reader ? (st.all() as Record<string, unknown>[]) : (st.run(), []);
        } finally {
          db.close();
        }
      },
    };
  },
};

evidenceStoreContract(engine);
