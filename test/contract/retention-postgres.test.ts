import { onTestFinished } from 'vitest';
import { createPgPool, numbered } from '../../src/db/pg.js';
import { openPgEvidenceStore } from '../../src/evidence/pg-store.js';
import { PgRetentionRepo } from '../../src/retention/repo-pg.js';
import { freshSchema, testDatabase } from './pg-helpers.js';
import { retentionRepoContract, type RetentionEngine } from './retention-repo.contract.js';

const dbUrl = testDatabase('cl_retention');

retentionRepoContract({
  name: 'postgres',
  async fixture() {
    const schema = freshSchema();
    // Opening the store migrates the schema (0001 … 0030).
    const evidence = await openPgEvidenceStore({ url: dbUrl(), schema, max: 2 });
    const raw = createPgPool({ url: dbUrl(), schema, max: 2 });
    onTestFinished(async () => {
      await evidence.close();
      await raw.end();
    });
    return {
      evidence,
      async repo() {
        // Its own pool, as another instance would have.
        const pool = createPgPool({ url: dbUrl(), schema, max: 3 });
        onTestFinished(() => pool.end());
        return new PgRetentionRepo(pool);
      },
      async sql<R>(text: string, params: unknown[] = []) {
        return (await raw.query(numbered(text), params)).rows as R[];
      },
    };
  },
} satisfies RetentionEngine);
