/**
 * Rows queued before migration 0021 have no spool (spool_id NULL): any instance may claim them,
 * yet the file is on one host only. The first instance whose scan lists the file puts the row on
 * its spool, so an instance with another spool never tries it (and fails: file missing).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { RecordingRepo, SpoolSource } from '../../../src/recordings/pipeline/index.js';
import { toneWav } from '../../emulators/ami/index.js';
import { ledgerCall, rowBySource, waitFor, waitState, world, type World } from './helpers.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

test("a row of no spool is put on the spool whose scan lists its file, and only that spool's instance works on it", async () => {
  w = await world();
  const otherSpool = join(w.dir, 'spool-b');
  mkdirSync(otherSpool, { recursive: true });
  const callId = await ledgerCall(w, 'yes');
  const name = `consentline-${callId}-1700009999.1.wav`;
  writeFileSync(join(otherSpool, name), toneWav(0.5));
  const old = (Date.now() - 600_000) / 1000;
  utimesSync(join(otherSpool, name), old, old);
  // Queued by the version before spool ids, its claim left by an instance that is gone: due in 1.5 s.
  const now = new Date().toISOString();
  const until = new Date(Date.now() + 1_500).toISOString();
  await new RecordingRepo(w.db).insert(
    { id: randomUUID(), callId, source: 'spool', sourceName: name, foundBy: 'scan', uniqueid: null, linkedid: null, state: 'spooled', startedAt: now, stoppedAt: now, stopReason: 'scan', contextId: callId, claim: { worker: 'gone', until } },
    now,
  );
  expect(rowBySource(w, name)?.spool_id).toBeNull();

  const fast = { settleMs: 0, scanIntervalMs: 50 };
  const a = w.pipeline({ watcher: false, options: { instanceId: 'cl-a', spoolId: 'spool-a', ...fast } });
  const b = w.pipeline({ watcher: false, source: new SpoolSource({ dir: otherSpool }), options: { instanceId: 'cl-b', spoolId: 'spool-b', ...fast } });
  try {
    await waitFor(() => rowBySource(w!, name)?.spool_id === 'spool-b', 'row put on spool-b');
    const done = await waitState(w, name, 'done');
    // a's spool lacks the file: had a claimed the row, it would have failed with SOURCE_MISSING.
    expect(done).toMatchObject({ spool_id: 'spool-b', attempts: 0, last_error: null, disposition: 'keep' });
    const lines = w.sink.lines();
    expect(lines.filter((l) => l['msg'] === 'recording from before spool ids put on this spool')).toMatchObject([{ recordingId: done.id, spoolId: 'spool-b' }]);
    expect(lines.filter((l) => /failed/.test(String(l['msg'])))).toEqual([]);
  } finally {
    await a.stop();
    await b.stop();
  }
});
