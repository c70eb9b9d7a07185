import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { sqliteExec } from '../../src/assurance/sql-sqlite.js';
import { openSqlite } from '../../src/db/sqlite.js';
import { openSqliteEvidenceStore } from '../../src/evidence/sqlite-store.js';
import { AgentRepo } from '../../src/joiners/repo.js';
import { agentsContract, type AgentsEngine } from './agents.contract.js';

agentsContract({
  name: 'sqlite',
  async fixture() {
    const dir = mkdtempSync(join(tmpdir(), 'consentline-agents-contract-'));
    const path = join(dir, 'ledger.sqlite');
    const evidence = await openSqliteEvidenceStore({ path, writerThread: false });
    onTestFinished(async () => {
      await evidence.close();
      rmSync(dir, { recursive: true, force: true });
    });
    return {
      evidence,
      async repo() {
        const { db } = openSqlite({ path });
        onTestFinished(() => void db.close());
        return new AgentRepo(sqliteExec(db));
      },
    };
  },
} satisfies AgentsEngine);
