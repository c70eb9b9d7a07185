import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { sqliteExec } from '../../src/assurance/sql-sqlite.js';
import { openSqlite } from '../../src/db/sqlite.js';
import { sqliteAssuranceLedger } from '../../src/evidence/assurance-ledger.js';
import { openSqliteEvidenceStore } from '../../src/evidence/sqlite-store.js';
import { assuranceScenario } from './scenario.js';

const dir = mkdtempSync(join(tmpdir(), 'cl-assurance-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('recording assurance on SQLite', () => {
  it('finds each kind once, records runs in the ledger, acknowledges and resolves', async () => {
    const path = join(dir, 'consentline.db');
    const store = await openSqliteEvidenceStore({ path, writerThread: false });
    const { db } = openSqlite({ path });
    try {
      await assuranceScenario({ store, exec: sqliteExec(db), ledger: sqliteAssuranceLedger(db), storeDir: join(dir, 'objects') });
    } finally {
      db.close();
      await store.close();
    }
  });
});
