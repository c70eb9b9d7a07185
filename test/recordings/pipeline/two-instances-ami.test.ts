/**
 * Two instances that both watch one Asterisk's AMI, on one spool (the same spoolId), get every
 * recording event twice. The row's finder writes `recording.started`/`stopped` under its claim;
 * the other instance must not write them again, even while the finder's append is still on its
 * way to the ledger.
 */
import { afterEach, expect, test } from 'vitest';
import type { RecordingPipelineDeps } from '../../../src/recordings/pipeline/index.js';
import { SpoolSource, type RecordingSource } from '../../../src/recordings/pipeline/index.js';
import { dialplanRecording, eventsOf, ledgerCall, rows, waitFor, waitState, world, type World } from './helpers.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

/** The spool dir, each reported name checked only after the next of `waits`: this instance hears of each event last. */
function lateSource(dir: string, waits: (() => Promise<unknown>)[]): RecordingSource {
  const inner = new SpoolSource({ dir });
  return {
    kind: inner.kind,
    nameOf: async (reported) => {
      await waits.shift()?.();
      return inner.nameOf(reported);
    },
    open: inner.open.bind(inner),
    remove: inner.remove.bind(inner),
    list: inner.list.bind(inner),
  };
}

test("an AMI start and stop seen by two instances: one recording.started, one recording.stopped, although the finder's append is held up", async () => {
  w = await world();
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  // Instance a's ledger writes of recording.started wait until the test lets them through.
  const slowLedger: RecordingPipelineDeps['evidence'] = {
    append: async (event, effects) => {
      if (event.kind === 'recording.started') await held;
      return w!.evidence.append(event, effects);
    },
    getCall: (callId) => w!.evidence.getCall(callId),
  };
  const a = w.pipeline({ evidence: slowLedger, options: { instanceId: 'cl-a', spoolId: 'shared', settleMs: 60_000 } });
  let file = '';
  // b hears of the start 150 ms after a, and of the stop only once a has stored and removed the file
  // (no periodic scan on b: it would check the active recordings' names through the same source).
  const bHears = [() => new Promise((r) => setTimeout(r, 150)), () => waitState(w!, file, 'done')];
  const b = w.pipeline({ source: lateSource(w.spoolDir, bHears), options: { instanceId: 'cl-b', spoolId: 'shared', settleMs: 60_000, scanIntervalMs: 3_600_000 } });
  try {
    await waitFor(() => w!.watcher?.connected, 'AMI login');
    const callId = await ledgerCall(w, 'yes');
    const rec = dialplanRecording(w, callId, { seconds: 2 });
    file = rec.file;
    const row = await waitFor(() => rows(w!)[0], 'captured row');
    expect(row).toMatchObject({ state: 'captured', claimed_by: 'cl-a' });
    await b.whenIntakeIdle();
    expect((await eventsOf(w, row.id)).map((e) => e.kind)).toEqual([]);

    release();
    await a.whenIntakeIdle();
    rec.hangup();
    await waitState(w, rec.file, 'done');
    await a.whenIntakeIdle();
    await b.whenIntakeIdle();
    const kinds = (await eventsOf(w, row.id)).map((e) => e.kind);
    expect(kinds.filter((k) => k === 'recording.started')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'recording.stopped')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'recording.stored')).toHaveLength(1);
    // b's late stop found the file gone: no second row for it.
    expect(rows(w)).toHaveLength(1);
  } finally {
    release();
    await a.stop();
  }
});
