import { onTestFinished } from 'vitest';
import { createPgPool } from '../../src/db/pg.js';
import { openPgEvidenceStore } from '../../src/evidence/pg-store.js';
import { PgRecordingRepo } from '../../src/recordings/pipeline/repo-pg.js';
import { freshSchema, testDatabase } from './pg-helpers.js';
import { recordingsRepoContract, type RecordingsEngine } from './recordings-repo.contract.js';

const dbUrl = testDatabase('cl_recordings');

recordingsRepoContract({
  name: 'postgres',
  async fixture() {
    const schema = freshSchema();
    // Opening the store migrates the schema (0001 … 0030, recordings included).
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
