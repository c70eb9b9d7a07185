/**
 * Files in the spool that are no recording of their call (issue 19.4): quarantined with the reason
 * in the row and in `recording.quarantined`, never kept; MixMonitor's header-only file of a silent
 * consented call is kept as an empty recording.
 */
import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { silentWav, toneWav } from '../../emulators/ami/wav.js';
import { eventsOf, ledgerCall, waitState, world, type World } from './helpers.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

/** A file the dialplan would name, for a consented call, old enough for the scan. */
async function spooled(x: World, data: Buffer | string, uniqueid: string): Promise<{ name: string; callId: string }> {
  const callId = await ledgerCall(x, 'yes');
  const name = `consentline-${callId}-${uniqueid}.wav`;
  const file = join(x.spoolDir, name);
  writeFileSync(file, data);
  const old = (Date.now() - 600_000) / 1000;
  utimesSync(file, old, old);
  return { name, callId };
}

test('a text file, a zero-byte file, a truncated WAV and one longer than its call are quarantined with the reason in the ledger; a header-only WAV is kept', async () => {
  w = await world();
  const truncated = toneWav(1).subarray(0, 5000);
  const files = {
    text: await spooled(w, 'this is not audio, it is a note someone left in the spool\n', '1700000401.1'),
    empty: await spooled(w, Buffer.alloc(0), '1700000402.1'),
    truncated: await spooled(w, truncated, '1700000403.1'),
    long: await spooled(w, toneWav(45), '1700000404.1'),
    silent: await spooled(w, silentWav(), '1700000405.1'),
  };
  w.pipeline({ watcher: false, options: { settleMs: 0 } });
  const expected = {
    text: { reason: 'not_audio', detail: /not a WAV file: no RIFF\/WAVE header \(\d+ bytes of text\)/ },
    empty: { reason: 'not_audio', detail: /^empty file \(0 bytes\)$/ },
    truncated: { reason: 'bad_audio_header', detail: /^truncated: the RIFF header says 16044 bytes, the file has 5000$/ },
    long: { reason: 'longer_than_call', detail: /^45\.0 s of audio for a call of \d+\.\d s so far$/ },
  } as const;
  for (const [what, want] of Object.entries(expected)) {
    const f = files[what as keyof typeof expected];
    const done = await waitState(w, f.name, 'done');
    expect(done, what).toMatchObject({ disposition: 'quarantine', quarantine_reason: want.reason });
    expect(done.object_key, what).toMatch(/^quarantine\//);
    const events = await eventsOf(w, done.id);
    const q = events.find((e) => e.kind === 'recording.quarantined');
    expect(q?.data, what).toMatchObject({ reason: want.reason, detail: expect.stringMatching(want.detail), quarantineDays: 7 });
    expect(events.find((e) => e.kind === 'recording.stored')?.data, what).toMatchObject({ quarantine: true });
  }
  const silent = await waitState(w, files.silent.name, 'done');
  expect(silent).toMatchObject({ disposition: 'keep', call_id: files.silent.callId, plaintext_bytes: 44 });
  expect((await eventsOf(w, silent.id)).map((e) => e.kind)).not.toContain('recording.quarantined');
  expect(w.sink.lines().some((l) => l['recordingId'] === silent.id && /empty recording/.test(String(l['msg'])))).toBe(true);
});

test('a WAV over the size cap is quarantined as too_large', async () => {
  w = await world();
  const f = await spooled(w, toneWav(1), '1700000410.1');
  w.pipeline({ watcher: false, options: { settleMs: 0, maxFileBytes: 10_000 } });
  const done = await waitState(w, f.name, 'done');
  expect(done).toMatchObject({ disposition: 'quarantine', quarantine_reason: 'too_large' });
  const q = (await eventsOf(w, done.id)).find((e) => e.kind === 'recording.quarantined');
  expect(q?.data).toMatchObject({ reason: 'too_large', detail: '16044 bytes, over the cap of 10000 (recordings.maxFileMB)' });
});
