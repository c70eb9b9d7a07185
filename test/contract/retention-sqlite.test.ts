import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { openSqlite } from '../../src/db/sqlite.js';
import { openSqliteEvidenceStore } from '../../src/evidence/sqlite-store.js';
import { SqliteRetentionRepo } from '../../src/retention/repo-sqlite.js';
import { retentionRepoContract, type RetentionEngine } from './retention-repo.contract.js';

retentionRepoContract({
  name: 'sqlite',
  async fixture() {
    const dir = mkdtempSync(join(tmpdir(), 'consentline-retention-contract-'));
    const path = join(dir, 'ledger.sqlite');
    const evidence = await openSqliteEvidenceStore({ path, writerThread: false });
    const { db: raw } = openSqlite({ path });
    onTestFinished(async () => {
      await evidence.close();
      raw.close();
      rmSync(dir, { recursive: true, force: true });
    });
    return {
      evidence,
      async repo() {
        // Its own connection, as another process would have.
        const { db } = openSqlite({ path });
        onTestFinished(() => void db.close());
        return new SqliteRetentionRepo(db);
      },
      async sql<R>(text: string, params: unknown[] = []) {
        const st = raw.prepare(text);
        if (st.reader) return st.all(...params) as R[];
        st.run(...params);
        return [];
      },
    };
  },
} satisfies RetentionEngine);
