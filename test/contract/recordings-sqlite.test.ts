import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { openSqlite } from '../../src/db/sqlite.js';
import { openSqliteEvidenceStore } from '../../src/evidence/sqlite-store.js';
import { RecordingRepo } from '../../src/recordings/pipeline/repo.js';
import { recordingsRepoContract, type RecordingsEngine } from './recordings-repo.contract.js';

recordingsRepoContract({
  name: 'sqlite',
  async fixture() {
    const dir = mkdtempSync(join(tmpdir(), 'consentline-recordings-contract-'));
    const path = join(dir, 'ledger.sqlite');
    const evidence = await openSqliteEvidenceStore({ path, writerThread: false });
    onTestFinished(async () => {
      await evidence.close();
      rmSync(dir, { recursive: true, force: true });
    });
    return {
      evidence,
      async repo() {
        // Its own connection, as another process would have.
        const { db } = openSqlite({ path });
        onTestFinished(() => void db.close());
        return new RecordingRepo(db);
      },
    };
  },
} satisfies RecordingsEngine);
