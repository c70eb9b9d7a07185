/**
 * The composition root's wiring of `recordings.spoolId`: rows the runtime's pipeline inserts carry
 * the configured spoolId, or `service.instanceId` when none is set.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { BUILTIN_CONFIG, loadConfig } from '../../../src/config/load.js';
import { openSqlite } from '../../../src/db/sqlite.js';
import { openSqliteEvidenceStore } from '../../../src/evidence/sqlite-store.js';
import { createRecordingsRuntime, RecordingRepo } from '../../../src/recordings/pipeline/index.js';
import { logSink } from '../ami/helpers.js';
import { toneWav } from '../../emulators/ami/index.js';
import { PEPPER, waitFor } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'cl-rec-spoolid-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function spoolIdOfAScannedRow(name: string, spoolId: string | undefined): Promise<string | null> {
  const dataDir = join(root, name, 'data');
  const spoolDir = join(root, name, 'spool');
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(spoolDir, { recursive: true });
  const file = join(spoolDir, 'consentline-none-1700000001.1.wav');
  writeFileSync(file, toneWav(0.25));
  const old = (Date.now() - 600_000) / 1000;
  utimesSync(file, old, old);
  const yaml = join(root, name, 'consentline.yaml');
  const recordings = { spoolDir, ...(spoolId ? { spoolId } : {}), spoolScan: { intervalSeconds: 3600, settleSeconds: 1 } };
  writeFileSync(yaml, JSON.stringify({ ...structuredClone(BUILTIN_CONFIG), service: { dataDir, instanceId: name }, recordings }));
  const loaded = loadConfig({ path: yaml, env: {} });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded));
  const path = join(dataDir, 'consentline.sqlite');
  const evidence = await openSqliteEvidenceStore({ path, writerThread: false });
  const { db } = openSqlite({ path });
  const runtime = await createRecordingsRuntime(loaded.config, { db, evidence, log: logSink().logger, pepper: PEPPER, dataDir });
  try {
    runtime.start();
    const repo = new RecordingRepo(db);
    const row = await waitFor(async () => (await repo.list())[0], 'the scanned row');
    return row.spool_id;
  } finally {
    await runtime.close();
    await evidence.close();
    db.close();
  }
}

test('rows are inserted under recordings.spoolId, by default under service.instanceId', async () => {
  expect(await spoolIdOfAScannedRow('consentline-7', undefined)).toBe('consentline-7');
  expect(await spoolIdOfAScannedRow('consentline-8', 'nfs-spool-1')).toBe('nfs-spool-1');
});
