import { expect, onTestFinished, test } from 'vitest';
import { createPgPool } from '../../src/db/pg.js';
import { openPgEvidenceStore } from '../../src/evidence/pg-store.js';
import { PG_RECORDING_EVENT_SQL as PG_EVENT_SQL } from '../../src/evidence/ledger-lookups.js';
import { PgRecordingRepo } from '../../src/recordings/pipeline/repo-pg.js';
import { freshSchema, testDatabase } from './pg-helpers.js';
import { recordingsRepoContract, type RecordingsEngine } from './recordings-repo.contract.js';

const dbUrl = testDatabase('cl_recordings');

recordingsRepoContract({
  name: 'postgres',
  async fixture() {
    const schema = freshSchema();
    // Opening the store migrates the schema (0001 … 0031, recordings included).
    const evidence = await openPgEvidenceStore({ url: dbUrl(), schema, max: 2 });
    onTestFinished(() => evidence.close());
    return {
      evidence,
      async repo() {
        // Its own pool, as another instance would have.
        const pool = createPgPool({ url: dbUrl(), schema, max: 3 });
        onTestFinished(() => pool.end());
        return new PgRecordingRepo(pool);
      },
    };
  },
} satisfies RecordingsEngine);

test('hasEvent can be answered from the events_recording index, with or without a call', async () => {
  const schema = freshSchema();
  const evidence = await openPgEvidenceStore({ url: dbUrl(), schema, max: 1 });
  const pool = createPgPool({ url: dbUrl(), schema, max: 1 });
  try {
    const client = await pool.connect();
    try {
      // An empty table is cheapest to scan; forbid that so the plan shows whether the index fits.
      await client.query('SET enable_seqscan = off');
      const plan = async (sql: string, args: string[]): Promise<string> =>
        (await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, args)).rows.map((r) => r['QUERY PLAN']).join('; ');
      expect(await plan(PG_EVENT_SQL.nullCall, ['recording.stopped', 'r1'])).toMatch(/events_recording/);
      expect(await plan(PG_EVENT_SQL.ofCall, ['c1', 'recording.stopped', 'r1'])).toMatch(/events_(recording|call)/);
    } finally {
      client.release();
    }
  } finally {
    await pool.end();
    await evidence.close();
  }
});
