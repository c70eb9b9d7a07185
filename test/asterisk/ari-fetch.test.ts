/**
 * recordings.source: ari on the real Asterisk: the service shares no disk with Asterisk (its spool
 * dir is its own, empty); MixMonitor writes into Asterisk's recording directory and ConsentLine
 * fetches the file over ARI (stored recordings), stores it encrypted, and deletes it there.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { HeldFile } from './harness/held-file.js';
import { decryptRecording, DID, rigForFile, until } from './setup.js';

const TRUNK = 'consentline-test-trunk';
const ROUTE = 'consentline-test-arifetch';

const rigOf = rigForFile({ ariFetch: true });

describe.sequential('real Asterisk: recordings fetched over ARI (no shared spool)', () => {
  it('round trip: MixMonitor into the recording dir → fetched over ARI → encrypted store → decrypts; the file is gone from Asterisk', async () => {
    const rig = rigOf();
    const call = await rig.observer.call(DID.hotline, TRUNK);
    await call.finished(await call.prompt('menu'));
    await call.press('1');
    await call.reaches(ROUTE, 'MixMonitor', 20_000);
    const set = await call.waitFor('MIXMONITOR_FILENAME', (e) => e.type === 'ChannelVarset' && e.variable === 'MIXMONITOR_FILENAME', 20_000);
    // The bytes MixMonitor writes, read through its inode after the service took the file (harness/held-file.ts).
    const held = await HeldFile.when(set.value!, 20_000);
    onTestFinished(() => held.close());
    const recordingDir = join(rig.asterisk.dir, 'spool/recording');
    expect(set.value!.startsWith(recordingDir)).toBe(true);
    await call.gone(30_000);
    const { callId } = await rig.ledger.ended(call.ivrId);
    const name = set.value!.slice(recordingDir.length + 1).replace(/\.wav$/, '');
    await until(() => rig.ledger.recordings(callId).some((r) => r.state === 'done'), 90_000, `recording of ${callId} to be stored`);
    // Kept under its call (not quarantined as of an unknown call: the ARI name carries the call id).
    const kinds = rig.ledger.events(callId).map((e) => e.kind);
    expect(kinds).toContain('recording.stored');
    expect(kinds).not.toContain('recording.quarantined');
    const [rec] = rig.ledger.recordings(callId);
    const out = join(rig.dir, 'decrypted-ari.wav');
    const wav = await decryptRecording(rig, rec!.id, out, 'asterisk suite ari fetch');
    expect(wav.subarray(0, 4).toString()).toBe('RIFF');
    expect(wav.length).toBeGreaterThan(44 + 8000);
    expect(await held.links()).toBe(0);
    expect(wav.equals(await held.bytes())).toBe(true);
    // Deleted on Asterisk after the verified upload, through ARI.
    expect(existsSync(set.value!)).toBe(false);
    expect((await rig.observer.request('GET', `/recordings/stored/${encodeURIComponent(name)}`)).status).toBe(404);
    // Nothing ever went through a shared spool.
    expect(await readdir(join(rig.dir, 'no-shared-spool'))).toEqual([]);
    expect(await readdir(rig.asterisk.monitorDir)).toEqual([]);
  });
});
