/**
 * Recording control on the AMI emulator (answering MixMonitorMute and StopMixMonitor as Asterisk 22's
 * app_mixmonitor.c does), the real watcher over asterisk-manager, the SQLite ledger and the pipeline:
 * pause and resume confirmed by the MixMonitorMute event, fail closed when the mute is not confirmed,
 * the maximum pause under both policies, a hang-up while paused, and the dialplan's UserEvent path.
 */
import { afterEach, describe, expect, test } from 'vitest';
import type { StoredEvent } from '../../../src/evidence/types.js';
import { asCallId } from '../../../src/recordings/pipeline/names.js';
import { followDialplanRequests, pausedIntervals, RecordingControl, STATE_VAR, type RecordingControlOptions, type Requester } from '../../../src/recordings/control/index.js';
import { readWavSamples, windowRms } from '../../support/wav-rms.js';
import { dialplanRecording, ledgerCall, readAll, rowBySource, waitFor, waitState, world, type World } from '../pipeline/helpers.js';

let w: World | undefined;
let control: RecordingControl | undefined;
afterEach(async () => {
  await control?.close();
  control = undefined;
  await w?.close();
  w = undefined;
});

const DESK: Requester = { source: 'api', tokenId: '6f1c7d2e-0000-4000-8000-000000000001', role: 'agent-desktop', subjectRef: 'a1b2c3' };
const OPTIONS: RecordingControlOptions = { confirmTimeoutMs: 300, maxPauseMs: 60_000, onMaxPause: 'stay_paused' };

async function setup(options: Partial<RecordingControlOptions> = {}) {
  // The shipped manager.conf's classes: `user` for the dialplan's UserEvent.
  const x = (w = await world({ amiRead: ['call', 'dialplan', 'user'] }));
  x.pipeline();
  await waitFor(() => x.watcher?.connected, 'AMI login');
  control = new RecordingControl({ watcher: x.watcher!, evidence: x.evidence, log: x.sink.logger, callIdOf: asCallId, options: { ...OPTIONS, ...options } });
  const callId = await ledgerCall(x, 'yes');
  const rec = dialplanRecording(x, callId, { seconds: 2 });
  await waitFor(() => control!.stateOf(callId) === 'recording', 'the watcher to see the recording');
  return { x, c: control, callId, rec };
}

async function callEvents(x: World, callId: string): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for await (const e of x.evidence.events()) if (e.callId === callId) out.push(e);
  return out;
}
const kinds = async (x: World, callId: string) => (await callEvents(x, callId)).map((e) => e.kind).filter((k) => k.startsWith('recording.'));
const actionsOf = (x: World, name: string) => x.emu.actions.filter((a) => a.action === name);

describe('recording control: pause and resume over AMI', () => {
  test('pause mutes both directions, confirmed by the MixMonitorMute event; resume unmutes; the ledger says who and when', async () => {
    const { x, c, callId, rec } = await setup();
    const paused = await c.pause(callId, DESK, 'payment_card');
    expect(paused).toMatchObject({ status: 'done', state: 'paused', changed: true });
    const mute = actionsOf(x, 'MixMonitorMute')[0]!.packet;
    expect(Object.fromEntries(mute.filter(([k]) => k !== 'ActionID'))).toEqual({ Action: 'MixMonitorMute', Channel: rec.call.inbound.name, Direction: 'both', State: '1' });
    expect(await c.pause(callId, DESK)).toMatchObject({ status: 'done', state: 'paused', changed: false });
    expect(actionsOf(x, 'MixMonitorMute')).toHaveLength(1);

    await new Promise((r) => setTimeout(r, 300));
    expect(await c.resume(callId, DESK)).toMatchObject({ status: 'done', state: 'recording', changed: true });
    expect(actionsOf(x, 'MixMonitorMute').at(-1)!.packet).toContainEqual(['State', '0']);
    const events = await callEvents(x, callId);
    const p = events.find((e) => e.kind === 'recording.paused')!;
    expect(p.data).toMatchObject({ by: DESK, reason: 'payment_card', uniqueids: [rec.call.inbound.uniqueid], onMaxPause: 'stay_paused' });
    const r = events.find((e) => e.kind === 'recording.resumed')!;
    expect(r.data).toMatchObject({ by: DESK });
    expect(r.data['pausedSeconds']).toBeGreaterThanOrEqual(0.25);
    expect(pausedIntervals(events)).toEqual([{ from: p.at, to: r.at, endedBy: 'resumed' }]);
    expect(await c.resume(callId, DESK)).toMatchObject({ status: 'done', state: 'recording', changed: false });

    // The muted span is silent in the file MixMonitor wrote, the rest is not.
    rec.hangup();
    const row = await waitState(x, rec.file, 'done');
    expect(row.call_id).toBe(callId);
    const windows = windowRms(readWavSamples(await readAll(x.envelope.decryptStream(await x.objects.get(row.object_key!), { expectedCallId: row.context_id }))), 400); // 50 ms
    expect(windows).toHaveLength(40);
    const silent = windows.filter((v) => v < 50).length;
    expect(silent).toBeGreaterThanOrEqual(5); // paused ≥ 300 ms
    expect(windows.length - silent).toBeGreaterThanOrEqual(25); // the rest is sound
  });

  test('mute not confirmed (no answer): the recording is stopped for the rest of the call, and a later MixMonitor too', async () => {
    const { x, c, callId, rec } = await setup();
    x.emu.leaveUnanswered('MixMonitorMute');
    const out = await c.pause(callId, DESK);
    expect(out).toMatchObject({ status: 'done', state: 'stopped', changed: true });
    expect(actionsOf(x, 'StopMixMonitor')[0]!.packet).toContainEqual(['Channel', rec.call.inbound.name]);
    expect(rec.call.inbound.recording).toBeNull();
    const stopped = (await callEvents(x, callId)).find((e) => e.kind === 'recording.stopped' && e.data['restOfCall'] === true)!;
    expect(stopped.data).toMatchObject({ reason: 'mute_not_confirmed', by: DESK, stopConfirmed: true });
    expect(String(stopped.data['detail'])).toMatch(/no answer from Asterisk/);
    expect(await kinds(x, callId)).not.toContain('recording.paused');
    expect(await c.resume(callId, DESK)).toEqual({ status: 'recording_stopped' });
    expect(await c.pause(callId, DESK)).toMatchObject({ status: 'done', state: 'stopped', changed: false });

    // The dialplan starts MixMonitor again on this call (a transfer, a second route): stopped at once.
    x.emu.answerActions();
    x.emu.startMixMonitor(rec.call.inbound, `${rec.file}.2.wav`, { seconds: 1 });
    await waitFor(() => actionsOf(x, 'StopMixMonitor').length === 2, 'the second StopMixMonitor');
    await waitFor(() => rec.call.inbound.recording === null, 'the second MixMonitor stopped');
  });

  test('mute answered but its MixMonitorMute event never published: not confirmed, stopped', async () => {
    const { x, c, callId } = await setup();
    x.emu.loseMuteEvents();
    const out = await c.pause(callId, DESK);
    expect(out).toMatchObject({ status: 'done', state: 'stopped' });
    const stopped = (await callEvents(x, callId)).find((e) => e.kind === 'recording.stopped')!;
    expect(String(stopped.data['detail'])).toMatch(/published no MixMonitorMute/);
  });

  test('neither mute nor stop answered: failed, and the ledger says the stop is unconfirmed', async () => {
    const { x, c, callId } = await setup();
    x.emu.leaveUnanswered('MixMonitorMute');
    x.emu.leaveUnanswered('StopMixMonitor');
    const out = await c.pause(callId, DESK);
    expect(out.status).toBe('failed');
    const stopped = (await callEvents(x, callId)).find((e) => e.kind === 'recording.stopped')!;
    expect(stopped.data).toMatchObject({ restOfCall: true, stopConfirmed: false });
  });

  test('maximum pause, policy stay_paused: stays muted and the ledger says the limit passed', async () => {
    const { x, c, callId } = await setup({ maxPauseMs: 300, onMaxPause: 'stay_paused' });
    await c.pause(callId, DESK);
    await waitFor(async () => (await kinds(x, callId)).filter((k) => k === 'recording.paused').length === 2, 'the max-pause note');
    const note = (await callEvents(x, callId)).filter((e) => e.kind === 'recording.paused')[1]!;
    expect(note.data).toMatchObject({ stillPaused: true, reason: 'max_pause_reached', onMaxPause: 'stay_paused', by: { source: 'service', via: 'max_pause' } });
    expect(actionsOf(x, 'MixMonitorMute')).toHaveLength(1);
    expect(c.stateOf(callId)).toBe('paused');
    expect(x.sink.text()).toContain('stays paused');
    expect(pausedIntervals(await callEvents(x, callId))).toHaveLength(1);
  });

  test('maximum pause, policy resume: the service resumes, reason max_pause_reached', async () => {
    const { x, c, callId } = await setup({ maxPauseMs: 300, onMaxPause: 'resume' });
    await c.pause(callId, DESK);
    await waitFor(async () => (await kinds(x, callId)).includes('recording.resumed'), 'the automatic resume');
    const events = await callEvents(x, callId);
    expect(events.find((e) => e.kind === 'recording.resumed')!.data).toMatchObject({ reason: 'max_pause_reached', by: { source: 'service', via: 'max_pause' } });
    expect(pausedIntervals(events)[0]!.endedBy).toBe('max_pause_resumed');
    expect(c.stateOf(callId)).toBe('recording');
  });

  test('hang-up while paused: the pause ends with the recording, no resume, no max-pause event later', async () => {
    const { x, c, callId, rec } = await setup({ maxPauseMs: 400, onMaxPause: 'resume' });
    await c.pause(callId, DESK);
    rec.hangup();
    await waitState(x, rec.file, 'done');
    await new Promise((r) => setTimeout(r, 600));
    const events = await callEvents(x, callId);
    expect(events.map((e) => e.kind)).not.toContain('recording.resumed');
    expect(pausedIntervals(events)).toMatchObject([{ endedBy: 'recording_ended' }]);
    expect(await c.resume(callId, DESK)).toEqual({ status: 'not_recording' });
  });

  test('unknown call, and a call with no recording running', async () => {
    const { x, c } = await setup();
    expect(await c.pause('7d7b2f7e-1111-4111-8111-111111111111', DESK)).toEqual({ status: 'unknown_call' });
    const unrecorded = await ledgerCall(x, 'no');
    expect(await c.pause(unrecorded, DESK)).toEqual({ status: 'not_recording' });
  });

  test('stopRecordingForRestOfCall: stops, says why, idempotent', async () => {
    const { x, c, callId, rec } = await setup();
    expect(await c.stopRecordingForRestOfCall(callId, 'joiner_without_notice')).toMatchObject({ status: 'done', state: 'stopped', changed: true });
    expect(rec.call.inbound.recording).toBeNull();
    expect(await c.stopRecordingForRestOfCall(callId, 'joiner_without_notice')).toMatchObject({ changed: false });
    const stops = (await callEvents(x, callId)).filter((e) => e.kind === 'recording.stopped' && e.data['restOfCall'] === true);
    expect(stops).toHaveLength(1);
    expect(stops[0]!.data).toMatchObject({ reason: 'joiner_without_notice', by: { source: 'service', via: 'joiner_without_notice' } });
  });

  test('the dialplan path: UserEvent ConsentLineRecording from the agent channel pauses and resumes, and the state is set on that channel', async () => {
    const { x, c, callId, rec } = await setup();
    const off = followDialplanRequests({ watcher: x.watcher!, control: c, callIdOf: asCallId, log: x.sink.logger, actionTimeoutMs: 500 });
    try {
      const agent = x.emu.addChannel({ channel: 'PJSIP/agent7-00000003', uniqueid: '1700.77', linkedid: rec.call.inbound.linkedid, state: 'Up' });
      x.emu.userEvent(agent, 'ConsentLineRecording', [['Action', 'pause'], ['Source', 'feature-code']]);
      await waitFor(() => agent.vars.get(STATE_VAR) === 'paused', 'CONSENTLINE_RECORDING_STATE=paused on the agent channel');
      x.emu.userEvent(agent, 'ConsentLineRecording', [['Action', 'resume'], ['Source', 'feature-code']]);
      await waitFor(() => agent.vars.get(STATE_VAR) === 'recording', 'CONSENTLINE_RECORDING_STATE=recording');
      const events = await callEvents(x, callId);
      expect(events.find((e) => e.kind === 'recording.paused')!.data).toMatchObject({ by: { source: 'dialplan', uniqueid: '1700.77', via: 'feature-code' } });
      // Another call's channel asks: nothing of this call changes.
      const stranger = x.emu.addChannel({ channel: 'PJSIP/agent8-00000004', uniqueid: '1700.88', state: 'Up' });
      x.emu.userEvent(stranger, 'ConsentLineRecording', [['Action', 'pause']]);
      await waitFor(() => stranger.vars.get(STATE_VAR) === 'not_recording', 'not_recording on the stranger');
      expect(actionsOf(x, 'MixMonitorMute')).toHaveLength(2);
      expect(rowBySource(x, rec.file)?.call_id).toBe(callId);
    } finally {
      off();
    }
  });
});

describe('AMI emulator answers MixMonitorMute as app_mixmonitor.c', () => {
  test('errors in Asterisk order, then a bare Success and the MixMonitorMute event', async () => {
    const x = (w = await world());
    const { RawAmiClient } = await import('../ami/helpers.js');
    const raw = await RawAmiClient.connect(x.emu.port);
    const login = raw.send([['Action', 'Login'], ['Username', 'consentline'], ['Secret', 'ami-s3cret']]);
    await waitFor(() => raw.response(login), 'login');
    const ask = async (pairs: [string, string][]) => {
      const id = raw.send([['Action', 'MixMonitorMute'], ...pairs]);
      return waitFor(() => raw.response(id), 'response');
    };
    const msg = (p: readonly (readonly [string, string])[]) => p.find(([k]) => k === 'Message')?.[1];
    expect(msg(await ask([['Channel', 'x']]))).toBe('No direction specified. Must be read, write or both');
    expect(msg(await ask([['Direction', 'up'], ['Channel', 'x']]))).toBe('Invalid direction specified. Must be read, write or both');
    expect(msg(await ask([['Direction', 'both'], ['State', '1']]))).toBe('No channel specified');
    expect(msg(await ask([['Direction', 'both'], ['Channel', 'x']]))).toBe('No state specified');
    expect(msg(await ask([['Direction', 'both'], ['Channel', 'nope'], ['State', '1']]))).toBe('No such channel');
    const call = x.emu.createLocalCall({ id: 'm1' });
    expect(msg(await ask([['Direction', 'both'], ['Channel', call.inbound.name], ['State', '1']]))).toBe('Cannot set mute flag');
    x.emu.startMixMonitor(call.inbound, 'a.wav');
    const ok = await ask([['Direction', 'both'], ['Channel', call.inbound.name], ['State', '1']]);
    expect(ok.map(([k]) => k)).toEqual(['Response', 'ActionID']);
    const ev = await waitFor(() => raw.packets.find((p) => p.some(([k, v]) => k === 'Event' && v === 'MixMonitorMute')), 'MixMonitorMute event');
    expect(ev.slice(-2)).toEqual([['Direction', 'both'], ['State', '1']]);
    expect(ev).toContainEqual(['Privilege', 'call,all']);
  });
});

