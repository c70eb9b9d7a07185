import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, onTestFinished, test } from 'vitest';
import { openSqlite } from '../../src/db/sqlite.js';
import { openSqliteEvidenceStore } from '../../src/evidence/sqlite-store.js';
import { SQLITE_RECORDING_EVENT_SQL as EVENT_SQL } from '../../src/evidence/ledger-lookups.js';
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

test('hasEvent is answered from the events_recording index, with or without a call', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'consentline-recordings-plan-'));
  const path = join(dir, 'ledger.sqlite');
  const evidence = await openSqliteEvidenceStore({ path, writerThread: false });
  const { db } = openSqlite({ path });
  try {
    const plan = (sql: string, args: string[]): string =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]).map((r) => r.detail).join('; ');
    expect(plan(EVENT_SQL.nullCall, ['recording.stopped', 'r1'])).toMatch(/USING INDEX events_recording/);
    expect(plan(EVENT_SQL.ofCall, ['c1', 'recording.stopped', 'r1'])).toMatch(/USING INDEX events_(recording|call)/);
  } finally {
    db.close();
    await evidence.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
