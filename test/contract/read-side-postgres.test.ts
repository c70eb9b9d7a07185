import pg from 'pg';
import { onTestFinished } from 'vitest';
import { openReadSide } from '../../src/evidence/open-read-side.js';
import { openPgEvidenceStore } from '../../src/evidence/pg-store.js';
import { freshSchema, testDatabase } from './pg-helpers.js';
import { readSideContract, type ReadSideLedger } from './read-side.contract.js';

const dbUrl = testDatabase('cl_read');

/** Runs statements as an attacker with DDL rights would: the append-only triggers dropped first. */
async function attacker(schema: string, sql: string, values: unknown[]): Promise<void> {
  const c = new pg.Client({ connectionString: dbUrl(), options: `-c search_path=${schema}` });
  await c.connect();
  try {
    await c.query('DROP TRIGGER IF EXISTS events_no_update ON events; DROP TRIGGER IF EXISTS events_no_delete ON events');
    await c.query(sql, values);
  } finally {
    await c.end();
  }
}

function pgLedger(schema: string): ReadSideLedger {
  return {
    async store() {
      const store = await openPgEvidenceStore({ url: dbUrl(), schema, max: 2 });
      onTestFinished(() => store.close());
      return store;
    },
    async readSide() {
      const side = await openReadSide({ kind: 'postgres', url: dbUrl() }, { schema, poolSize: 3 });
      onTestFinished(() => side.close());
      return side;
    },
    tamper: {
      setData: (seq, data) => attacker(schema, 'UPDATE events SET data = $1 WHERE seq = $2', [data, seq]),
      setHash: (seq, hash) => attacker(schema, 'UPDATE events SET hash = $1 WHERE seq = $2', [hash, seq]),
      delete: (seq) => attacker(schema, 'DELETE FROM events WHERE seq = $1', [seq]),
    },
    async merkleNodes() {
      const c = new pg.Client({ connectionString: dbUrl(), options: `-c search_path=${schema}` });
      await c.connect();
      try {
        const { rows } = await c.query<{ level: number; idx: string; hash: string }>("SELECT level, idx, encode(hash, 'hex') AS hash FROM merkle_nodes ORDER BY level, idx");
        return rows.map((r) => ({ level: r.level, idx: Number(r.idx), hash: r.hash }));
      } finally {
        await c.end();
      }
    },
  };
}

readSideContract({ name: 'postgres', ledger: async () => pgLedger(freshSchema()) });
