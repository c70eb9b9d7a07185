/**
 * Capture mode "ami" (recordings.capture: ami) on the real Asterisk: the shipped manager.conf with
 * only the edits its comments prescribe for that mode, a route without the dialplan's recording gate;
 * ConsentLine itself sends MixMonitor over AMI for a consenting call, and the file goes through the pipeline.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { TestCall } from './harness/observer.js';
import { HeldFile } from './harness/held-file.js';
import { decryptRecording, DID, rigForFile, until } from './setup.js';

const TRUNK = 'consentline-test-trunk';
const AMI_ROUTE = 'consentline-test-ami';

const rigOf = rigForFile({ amiCapture: true });

async function menuKey(call: TestCall, key: string): Promise<void> {
  await call.finished(await call.prompt('menu'));
  await call.press(key);
}

describe.sequential('real Asterisk: capture mode ami', () => {
  it('a consenting call: MixMonitor comes over AMI, not from the dialplan, and the recording is stored and decrypts', async () => {
    const rig = rigOf();
    const call = await rig.observer.call(DID.hotline, TRUNK);
    await menuKey(call, '1');
    await call.reaches(AMI_ROUTE, 'Queue', 20_000);
    const set = await call.waitFor('MIXMONITOR_FILENAME', (e) => e.type === 'ChannelVarset' && e.variable === 'MIXMONITOR_FILENAME', 20_000);
    // The bytes MixMonitor writes, read through its inode after the service took the file (harness/held-file.ts).
    const held = await HeldFile.when(set.value!, 20_000);
    onTestFinished(() => held.close());
    await call.gone(30_000);
    const ended = await rig.ledger.ended(call.ivrId);
    expect(ended).toMatchObject({ outcome: 'continued', recording: 'yes' });
    expect(call.variables()).toMatchObject({ CONSENT_RECORDING: 'yes', CONSENT_ID: ended.callId });
    expect(call.dialplan().some((d) => d.includes(':MixMonitor('))).toBe(false);
    expect(set.value).toContain(ended.callId);

    await until(() => rig.ledger.recordings(ended.callId).some((r) => r.state === 'done'), 60_000, `recording of ${ended.callId} to be stored`);
    const recs = rig.ledger.recordings(ended.callId);
    expect(recs).toHaveLength(1);
    const out = join(rig.dir, 'decrypted-ami.wav');
    const wav = await decryptRecording(rig, recs[0]!.id, out, 'asterisk suite ami capture');
    expect(wav.subarray(0, 4).toString()).toBe('RIFF');
    expect(wav.length).toBeGreaterThan(44 + 8000);
    expect(await held.links()).toBe(0);
    expect(wav.equals(await held.bytes())).toBe(true);

    const log = await readFile(rig.service.logFile, 'utf8');
    expect(log).toContain(`"callId":"${ended.callId}","msg":"MixMonitor started over AMI"`);
    expect(log).not.toContain('without CONSENT_RECORDING=yes');
    expect(rig.ledger.events(ended.callId).map((e) => e.kind)).not.toContain('recording.start_failed');
  });

  it('an objecting call: no MixMonitor is sent, nothing recorded', async () => {
    const rig = rigOf();
    const call = await rig.observer.call(DID.hotline, TRUNK);
    await menuKey(call, '9');
    await call.reaches(AMI_ROUTE, 'Queue', 30_000);
    await call.gone(30_000);
    const ended = await rig.ledger.ended(call.ivrId);
    expect(ended).toMatchObject({ outcome: 'objected', recording: 'no' });
    expect(call.variables().MIXMONITOR_FILENAME).toBeUndefined();
    expect(rig.ledger.recordings(ended.callId)).toEqual([]);
  });
});
