import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { pgExec } from '../../src/assurance/sql-pg.js';
import { createPgPool } from '../../src/db/pg.js';
import { pgAssuranceLedger } from '../../src/evidence/assurance-ledger.js';
import { openPgEvidenceStore } from '../../src/evidence/pg-store.js';
import { testDatabase } from '../contract/pg-helpers.js';
import { assuranceScenario } from './scenario.js';

const dbUrl = testDatabase('cl_assurance');
const dir = mkdtempSync(join(tmpdir(), 'cl-assurance-pg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('recording assurance on PostgreSQL', () => {
  it('finds each kind once, records runs in the ledger, acknowledges and resolves', async () => {
    const store = await openPgEvidenceStore({ url: dbUrl(), max: 2 });
    const pool = createPgPool({ url: dbUrl(), max: 2 });
    try {
      await assuranceScenario({ store, exec: pgExec(pool), ledger: pgAssuranceLedger(pool), storeDir: join(dir, 'objects') });
    } finally {
      await pool.end();
      await store.close();
    }
  });
});
