import { onTestFinished } from 'vitest';
import { pgExec } from '../../src/assurance/sql-pg.js';
import { createPgPool } from '../../src/db/pg.js';
import { openPgEvidenceStore } from '../../src/evidence/pg-store.js';
import { AgentRepo } from '../../src/joiners/repo.js';
import { agentsContract, type AgentsEngine } from './agents.contract.js';
import { freshSchema, testDatabase } from './pg-helpers.js';

const dbUrl = testDatabase('cl_agents');

agentsContract({
  name: 'postgres',
  async fixture() {
    const schema = freshSchema();
    // Opening the store migrates the schema (0070_agents included).
    const evidence = await openPgEvidenceStore({ url: dbUrl(), schema, max: 2 });
    onTestFinished(() => evidence.close());
    return {
      evidence,
      async repo() {
        const pool = createPgPool({ url: dbUrl(), schema, max: 3 });
        onTestFinished(() => pool.end());
        return new AgentRepo(pgExec(pool));
      },
    };
  },
} satisfies AgentsEngine);
