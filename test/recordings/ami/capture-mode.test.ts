/**
 * Capture mode `ami`: ConsentLine sends the AMI MixMonitor action itself once the call's recording
 * consent is in the ledger. Real parts throughout: the AMI emulator (answering MixMonitor as
 * Asterisk 22 does: `system` write permission, bare Success, VarSet MIXMONITOR_FILENAME, then
 * MixMonitorStart), asterisk-manager and the watcher, the SQLite ledger, the pipeline.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, test } from 'vitest';
import type { StoredEvent } from '../../../src/evidence/types.js';
import { createSubject } from '../../../src/evidence/subject.js';
import { headerOf, toneWav, type EmuChannel } from '../../emulators/ami/index.js';
import { eventsOf, ledgerCall, readAll, rows, sha256, waitFor, waitState, world, type World } from '../pipeline/helpers.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

const AMI_MODE = { options: { capture: 'ami' as const } };
let seq = 1_700_100_000;

/** A world (sets `w`) with a pipeline in capture mode `ami`, logged in, and a call whose consent the ledger holds. */
async function amiCall(opts: Parameters<typeof world>[0], consent: 'yes' | 'no') {
  const x = (w = await world(opts));
  const p = x.pipeline(AMI_MODE);
  await waitFor(() => x.watcher?.connected, 'AMI login');
  const callId = await ledgerCall(x, consent);
  return { x, p, callId, ch: consentedChannel(x, callId) };
}

/** A call in Stasis as the consent flow leaves it: CONSENT_ID, then (last) CONSENT_RECORDING. */
function consentedChannel(x: World, callId: string): { inbound: EmuChannel; hangup: () => void } {
  const u = ++seq;
  const call = x.emu.createLocalCall({ id: `m${u}`, callerIdNum: '48600100200', inboundUniqueid: `${u}.7` });
  x.emu.setState(call.inbound, 'Up');
  x.emu.setVar(call.inbound, 'CONSENT_ID', callId);
  return { inbound: call.inbound, hangup: () => x.emu.hangupLocalCall(call) };
}

const mixMonitorActions = (x: World) => x.emu.actions.filter((a) => a.action === 'MixMonitor');

/** CONSENT_RECORDING=yes, and Asterisk goes down just as the MixMonitor action reaches it. */
async function consentAsAmiGoesDown(x: World, inbound: EmuChannel): Promise<void> {
  x.emu.dropOnNextAction('MixMonitor');
  const refusing = x.emu.refuseConnections(); // no new logins from now; resolves once the session is cut
  x.emu.setVar(inbound, 'CONSENT_RECORDING', 'yes');
  await refusing;
  await waitFor(() => mixMonitorActions(x).length === 1 && !x.watcher!.connected, 'action cut by the outage');
}

async function callEvents(x: World, callId: string): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for await (const e of x.evidence.events()) if (e.callId === callId) out.push(e);
  return out;
}

async function startFailures(x: World): Promise<number> {
  return (await x.metrics.failures.get()).values.find((v) => v.labels.kind === 'recording_start_failed')?.value ?? 0;
}

describe('capture mode ami', () => {
  test('consent in the ledger → MixMonitor action (file named from ids) → recorded, encrypted, stored; ledger started/stopped/stored', async () => {
    const { x, callId, ch } = await amiCall({ actionAudio: { seconds: 1 } }, 'yes');
    x.emu.setVar(ch.inbound, 'CONSENT_RECORDING', 'yes');

    const row = await waitFor(() => rows(x)[0], 'captured row');
    const [action] = mixMonitorActions(x);
    expect(headerOf(action!.packet, 'Channel')).toBe(ch.inbound.name);
    expect(headerOf(action!.packet, 'File')).toBe(`consentline-${callId}-${ch.inbound.uniqueid}.wav`);
    expect(row).toMatchObject({ call_id: callId, found_by: 'ami', channel_uniqueid: ch.inbound.uniqueid, state: 'captured' });

    ch.hangup();
    await x.emu.flushFiles();
    const done = await waitState(x, row.source_name, 'done');
    expect(done.disposition).toBe('keep');
    expect(existsSync(ch.inbound.recording?.path ?? `${x.spoolDir}/${row.source_name}`)).toBe(false);
    const back = await readAll(x.envelope.decryptStream(await x.objects.get(done.object_key!), { expectedCallId: callId }));
    expect(sha256(back)).toBe(sha256(toneWav(1)));
    expect((await eventsOf(x, done.id)).map((e) => e.kind)).toEqual(['recording.started', 'recording.stopped', 'recording.stored']);
    expect(mixMonitorActions(x)).toHaveLength(1);
  });

  test('CONSENT_RECORDING=yes reaches AMI before the session writes the outcome (as on a real Asterisk): MixMonitor still goes out', async () => {
    const x = (w = await world({ actionAudio: { seconds: 1 } }));
    x.pipeline(AMI_MODE);
    await waitFor(() => x.watcher?.connected, 'AMI login');
    const callId = await ledgerCall(x, 'yes');
    // The same call as the session has it just before its outcome: started, no decision yet.
    const early = randomUUID();
    const subject = createSubject('+48600100201', 'pepper');
    await x.evidence.append(
      { callId: early, kind: 'call.started', data: { flowId: 'main', commitment: subject.commitment } },
      { subject, callOpen: { callId: early, startedAt: new Date().toISOString(), flowId: 'main', did: '+48221234567', legalBasis: 'consent_by_conduct', server: 'asterisk-1', language: 'pl' } },
    );
    expect(callId).not.toBe(early);
    const ch = consentedChannel(x, early);
    x.emu.setVar(ch.inbound, 'CONSENT_RECORDING', 'yes');
    await new Promise((r) => setTimeout(r, 300));
    await x.evidence.append({ callId: early, kind: 'consent.recording', data: { value: 'yes' } }, { callPatch: { recording: 'yes', outcome: 'continued' } });
    const row = await waitFor(() => rows(x)[0], 'captured row');
    expect(row).toMatchObject({ call_id: early, found_by: 'ami' });
    expect(mixMonitorActions(x)).toHaveLength(1);
    expect(x.sink.text()).not.toContain('ledger has no recording consent');
    ch.hangup();
  });

  test('CONSENT_RECORDING=yes on the channel but no consent in the ledger: no MixMonitor action', async () => {
    const { x, p, callId, ch } = await amiCall({ actionAudio: { seconds: 1 } }, 'no');
    x.emu.setVar(ch.inbound, 'CONSENT_RECORDING', 'yes');
    await waitFor(() => /ledger has no recording consent/.test(x.sink.text()), 'refusal logged');
    await p.whenIntakeIdle();
    expect(mixMonitorActions(x)).toHaveLength(0);
    expect(rows(x)).toHaveLength(0);
  });

  test('AMI user without write=system: Asterisk answers "Permission denied" → not recorded, recording.start_failed in the ledger', async () => {
    const { x, p, callId, ch } = await amiCall({ amiWrite: ['call'], actionAudio: { seconds: 1 } }, 'yes');
    x.emu.setVar(ch.inbound, 'CONSENT_RECORDING', 'yes');

    const failed = await waitFor(async () => (await callEvents(x, callId)).find((e) => e.kind === 'recording.start_failed'), 'start_failed event');
    expect(failed.data).toEqual({ uniqueid: ch.inbound.uniqueid, capture: 'ami', reason: 'refused', detail: 'Permission denied' });
    expect(mixMonitorActions(x)).toHaveLength(1);
    expect(ch.inbound.recording).toBeNull();
    expect(await startFailures(x)).toBe(1);
    ch.hangup();
    await p.whenIntakeIdle();
    expect(rows(x)).toHaveLength(0);
    expect((await callEvents(x, callId)).map((e) => e.kind)).not.toContain('recording.started');
  });

  test('AMI goes down as the action is sent, the call is still up when it returns: MixMonitor is sent again and the call recorded', async () => {
    const { x, callId, ch } = await amiCall({ actionAudio: { seconds: 1 } }, 'yes');
    await consentAsAmiGoesDown(x, ch.inbound);
    expect(ch.inbound.recording).toBeNull();

    await x.emu.acceptConnections();
    const row = await waitFor(() => rows(x)[0], 'captured after the reconnect');
    expect(mixMonitorActions(x)).toHaveLength(2);
    ch.hangup();
    await x.emu.flushFiles();
    const done = await waitState(x, row.source_name, 'done');
    expect((await eventsOf(x, done.id)).map((e) => e.kind)).toEqual(['recording.started', 'recording.stopped', 'recording.stored']);
    expect((await callEvents(x, callId)).map((e) => e.kind)).not.toContain('recording.start_failed');
  });

  test('AMI down at the moment of consent and the call ends before it returns: not recorded, the ledger says why', async () => {
    const { x, p, callId, ch } = await amiCall({ actionAudio: { seconds: 1 } }, 'yes');
    await consentAsAmiGoesDown(x, ch.inbound);
    ch.hangup(); // nobody hears it

    await x.emu.acceptConnections();
    const failed = await waitFor(async () => (await callEvents(x, callId)).find((e) => e.kind === 'recording.start_failed'), 'start_failed event');
    expect(failed.data).toMatchObject({ uniqueid: ch.inbound.uniqueid, capture: 'ami', reason: 'ami_unavailable' });
    await p.whenIntakeIdle();
    expect(mixMonitorActions(x)).toHaveLength(1);
    expect(rows(x)).toHaveLength(0);
    expect(await startFailures(x)).toBe(1);
  });

  test('CONSENT_RECORDING set while AMI was down entirely: read again on reconnect, MixMonitor started then', async () => {
    const { x, callId, ch } = await amiCall({ actionAudio: { seconds: 1 } }, 'yes');
    // An action's answer comes after the events sent before it: the watcher has seen CONSENT_ID.
    await x.watcher!.getVar(ch.inbound.name, 'UNIQUEID');
    x.emu.dropConnections();
    await x.emu.refuseConnections();
    await waitFor(() => !x.watcher!.connected, 'AMI down');
    x.emu.setVar(ch.inbound, 'CONSENT_RECORDING', 'yes'); // lost: nobody logged in

    await x.emu.acceptConnections();
    const row = await waitFor(() => rows(x)[0], 'captured after the reconnect');
    expect(row).toMatchObject({ call_id: callId, channel_uniqueid: ch.inbound.uniqueid });
    ch.hangup();
    await x.emu.flushFiles();
    await waitState(x, row.source_name, 'done');
    expect(mixMonitorActions(x)).toHaveLength(1);
  });
});
