import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { onTestFinished } from 'vitest';
import { openReadSide } from '../../src/db/engine.js';
import { openSqliteEvidenceStore } from '../../src/evidence/sqlite-store.js';
import { marketingContract, type MarketingLedger } from './marketing.contract.js';

function sqliteLedger(): MarketingLedger {
  const dir = mkdtempSync(join(tmpdir(), 'consentline-marketing-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'ledger.sqlite');
  return {
    async store() {
      const store = await openSqliteEvidenceStore({ path, writerThread: false });
      onTestFinished(() => store.close());
      return store;
    },
    async readSide() {
      const side = await openReadSide({ kind: 'sqlite', path });
      onTestFinished(() => side.close());
      return side;
    },
    async sql(statement, values = []) {
      const db = new Database(path);
      try {
        db.prepare(statement).run(...values);
      } finally {
        db.close();
      }
    },
  };
}

marketingContract({ name: 'sqlite', ledger: async () => sqliteLedger() });
