import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { onTestFinished } from 'vitest';
import { openReadSide } from '../../src/db/engine.js';
import { openSqliteEvidenceStore } from '../../src/evidence/sqlite-store.js';
import { tamper as attacker } from '../evidence/helpers.js';
import { readSideContract, type ReadSideLedger } from './read-side.contract.js';

function sqliteLedger(): ReadSideLedger {
  const dir = mkdtempSync(join(tmpdir(), 'consentline-readside-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'ledger.sqlite');
  return {
    async store() {
      const store = await openSqliteEvidenceStore({ path, writerThread: false });
      onTestFinished(() => store.close());
      return store;
    },
    async readSide(opts = {}) {
      const side = await openReadSide({ kind: 'sqlite', path }, opts);
      onTestFinished(() => side.close());
      return side;
    },
    tamper: {
      setData: async (seq, data) => attacker(path, (db) => void db.prepare('UPDATE events SET data = ? WHERE seq = ?').run(data, seq)),
      setHash: async (seq, hash) => attacker(path, (db) => void db.prepare('UPDATE events SET hash = ? WHERE seq = ?').run(hash, seq)),
      delete: async (seq) => attacker(path, (db) => void db.prepare('DELETE FROM events WHERE seq = ?').run(seq)),
    },
    async merkleNodes() {
      const db = new Database(path, { readonly: true });
      try {
        return db.prepare("SELECT level, idx, lower(hex(hash)) AS hash FROM merkle_nodes ORDER BY level, idx").all() as { level: number; idx: number; hash: string }[];
      } finally {
        db.close();
      }
    },
  };
}

readSideContract({ name: 'sqlite', ledger: async () => sqliteLedger() });
