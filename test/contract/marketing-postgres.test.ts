import pg from 'pg';
import { onTestFinished } from 'vitest';
import { openReadSide } from '../../src/db/engine.js';
import { openPgEvidenceStore } from '../../src/evidence/pg-store.js';
import { marketingContract, type MarketingLedger } from './marketing.contract.js';
import { freshSchema, testDatabase } from './pg-helpers.js';

const dbUrl = testDatabase('cl_mkt');

function pgLedger(schema: string): MarketingLedger {
  return {
    async store() {
      const store = await openPgEvidenceStore({ url: dbUrl(), schema, max: 2 });
      onTestFinished(() => store.close());
      return store;
    },
    async readSide() {
      const side = await openReadSide({ kind: 'postgres', url: dbUrl() }, { schema, poolSize: 2 });
      onTestFinished(() => side.close());
      return side;
    },
    async sql(statement, values = []) {
      const c = new pg.Client({ connectionString: dbUrl(), options: `-c search_path=${schema}` });
      await c.connect();
      try {
        await c.query(statement, values);
      } finally {
        await c.end();
      }
    },
  };
}

marketingContract({ name: 'postgres', ledger: async () => pgLedger(freshSchema()) });
