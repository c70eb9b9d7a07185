/**
 * The AMI watcher through the real asterisk-manager client against the AMI emulator.
 * Each test reads as a script: what the PBX does, which domain events follow, and what must never
 * happen (count 0).
 */
import { afterEach, describe, expect, test } from 'vitest';
import { createAmiWatcher, type AmiWatcher, type AmiWatcherConfig } from '../../../src/recordings/ami/watcher.js';
import type { AmiWatcherEvents } from '../../../src/recordings/ami/events.js';
import { AmiEmulator } from '../../emulators/ami/index.js';
import { logSink, shippedManagerEventFilter, sleep, until } from './helpers.js';

const SECRET = 'ami-s3cret-value';
const USER = { username: 'consentline', secret: SECRET, read: ['call', 'dialplan'], write: ['call', 'system'] } as const;

type Recorded = { [K in keyof AmiWatcherEvents]: { type: K; e: AmiWatcherEvents[K] } }[keyof AmiWatcherEvents];

let emu: AmiEmulator | undefined;
let watcher: AmiWatcher | undefined;

afterEach(async () => {
  await watcher?.stop();
  await emu?.stop();
  watcher = undefined;
  emu = undefined;
});

async function setup(cfg: Partial<AmiWatcherConfig> = {}, emuOpts: Parameters<typeof AmiEmulator.start>[0] = {}) {
  emu = await AmiEmulator.start({ users: [USER], authFailDelayMs: 10, ...emuOpts });
  const sink = logSink();
  const w = createAmiWatcher(
    {
      host: emu.host,
      port: emu.port,
      username: USER.username,
      secret: SECRET,
      backoff: { initialMs: 20, maxMs: 100 },
      authRetryMs: 30,
      loginTimeoutMs: 1000,
      actionTimeoutMs: 1000,
      ...cfg,
    },
    { logger: sink.logger, random: () => 1 },
  );
  watcher = w;
  const seen: Recorded[] = [];
  for (const type of [
    'recordingStarted',
    'recordingFileKnown',
    'recordingStopped',
    'consentVar',
    'connected',
    'disconnected',
    'authFailed',
    'gaveUp',
  ] as const) {
    w.on(type, (e) => seen.push({ type, e } as Recorded));
  }
  const count = (type: Recorded['type']): number => seen.filter((s) => s.type === type).length;
  const of = <K extends Recorded['type']>(type: K): AmiWatcherEvents[K][] =>
    seen.filter((s) => s.type === type).map((s) => s.e as AmiWatcherEvents[K]);
  return { emu, w, sink, seen, count, of };
}

/** The consent flow's part, then the dialplan after `continue`: CONSENT_* set, MixMonitor started. */
function consentedCall(e: AmiEmulator, id: string) {
  const call = e.createLocalCall({ id, context: 'consentline-inbound', callerIdNum: '48600100200', callerIdName: 'Jan' });
  e.setState(call.inbound, 'Up');
  e.setVar(call.inbound, 'CONSENT_ID', `consent-${id}`);
  e.setVar(call.inbound, 'CONSENT_RECORDING', 'yes');
  e.goto(call.inbound, { context: 'consentline-after', exten: 's', priority: 2 });
  const file = e.startMixMonitor(call.inbound, `${id}-s.wav`);
  return { call, file };
}

describe('recording lifecycle', () => {
  test('with the shipped manager.conf event filters (no CONSENT_* VarSet), a consented recording is asked for its consent, not warned about', async () => {
    const filtered = { ...USER, eventFilter: shippedManagerEventFilter() };
    const { emu, w, sink, count, of } = await setup({}, { users: [filtered] });
    w.start();
    await until(() => w.connected);
    const { call, file } = consentedCall(emu, 'f1');
    await until(() => count('recordingFileKnown') === 1);
    await until(() => sink.text().includes('recording started'));
    emu.hangupLocalCall(call);
    await until(() => count('recordingStopped') === 1);
    // The filter hid the consent VarSets but let the file name and the start through.
    expect(of('recordingFileKnown')).toEqual([{ channel: call.inbound.name, uniqueid: 'f1-s', linkedid: 'f1-c', path: file }]);
    expect(sink.text()).not.toContain('without CONSENT_RECORDING=yes');
    expect(of('recordingStopped')[0]).toMatchObject({ consentId: 'consent-f1', reason: 'hangup' });
  });

  test('a recording on a channel whose CONSENT_RECORDING is not yes is still warned about after asking', async () => {
    const filtered = { ...USER, eventFilter: shippedManagerEventFilter() };
    const { emu, w, sink, count } = await setup({}, { users: [filtered] });
    w.start();
    await until(() => w.connected);
    const call = emu.createLocalCall({ id: 'f2', context: 'consentline-inbound', callerIdNum: '48600100200', callerIdName: 'Jan' });
    emu.setVar(call.inbound, 'CONSENT_RECORDING', 'no');
    emu.startMixMonitor(call.inbound, 'f2-s.wav');
    await until(() => count('recordingStarted') === 1);
    await until(() => sink.text().includes('without CONSENT_RECORDING=yes'));
    emu.hangupLocalCall(call);
    await until(() => count('recordingStopped') === 1);
  });

  test('dialplan MixMonitor, then a plain hang-up: start → file known → stopped(hangup); no "stopped" reason', async () => {
    const { emu, w, seen, count, of } = await setup();
    w.start();
    await until(() => w.connected);
    const { call, file } = consentedCall(emu, 'n1');
    await until(() => count('recordingFileKnown') === 1);
    emu.hangupLocalCall(call);
    await until(() => count('recordingStopped') === 1);

    expect(seen.filter((s) => s.type !== 'connected').map((s) => s.type)).toEqual([
      'consentVar',
      'consentVar',
      'recordingStarted',
      'recordingFileKnown',
      'recordingStopped',
    ]);
    expect(of('consentVar')).toEqual([
      { channel: call.inbound.name, uniqueid: 'n1-s', linkedid: 'n1-c', name: 'CONSENT_ID', value: 'consent-n1' },
      { channel: call.inbound.name, uniqueid: 'n1-s', linkedid: 'n1-c', name: 'CONSENT_RECORDING', value: 'yes' },
    ]);
    expect(of('recordingStarted')).toEqual([
      {
        channel: call.inbound.name,
        uniqueid: 'n1-s',
        linkedid: 'n1-c',
        consentId: 'consent-n1',
        consentRecording: 'yes',
        file,
      },
    ]);
    expect(of('recordingFileKnown')).toEqual([{ channel: call.inbound.name, uniqueid: 'n1-s', linkedid: 'n1-c', path: file }]);
    expect(of('recordingStopped')).toEqual([
      { channel: call.inbound.name, uniqueid: 'n1-s', linkedid: 'n1-c', consentId: 'consent-n1', file, reason: 'hangup' },
    ]);
    expect(w.activeRecordings()).toEqual([]);
  });

  test('explicit StopMixMonitor: stopped(stopped) once; the later hang-up adds nothing', async () => {
    const { emu, w, count, of } = await setup();
    w.start();
    await until(() => w.connected);
    const { call } = consentedCall(emu, 'n2');
    await until(() => count('recordingStarted') === 1);
    expect(w.activeRecordings()).toHaveLength(1);
    emu.stopMixMonitor(call.inbound);
    emu.hangupLocalCall(call);
    await sleep(50);
    expect(of('recordingStopped').map((e) => e.reason)).toEqual(['stopped']);
  });

  test('consent set on one channel, recording on another channel of the same call: correlated by linkedid', async () => {
    const { emu, w, count, of } = await setup();
    w.start();
    await until(() => w.connected);
    const call = emu.createLocalCall({ id: 'n3' });
    emu.setVar(call.inbound, 'CONSENT_ID', 'consent-n3');
    emu.setVar(call.inbound, '__CONSENT_RECORDING', 'yes');
    emu.startMixMonitor(call.caller, 'n3-c.wav');
    await until(() => count('recordingStarted') === 1);
    expect(of('recordingStarted')[0]).toMatchObject({ uniqueid: 'n3-c', linkedid: 'n3-c', consentId: 'consent-n3', consentRecording: 'yes' });
  });

  test('a recording without CONSENT_RECORDING=yes is reported (and logged as a warning), not hidden', async () => {
    const { emu, w, sink, count, of } = await setup();
    w.start();
    await until(() => w.connected);
    const call = emu.createLocalCall({ id: 'n4' });
    emu.startMixMonitor(call.inbound, 'n4.wav');
    await until(() => count('recordingStarted') === 1);
    expect(of('recordingStarted')[0]?.consentRecording).toBeUndefined();
    expect(sink.lines().some((l) => l['level'] === 40 && String(l['msg']).includes('without CONSENT_RECORDING=yes'))).toBe(true);
  });

  test('AMI start mode: mixMonitor() is accepted, then the same start/file events; getVar reads variables', async () => {
    const { emu, w, count, of } = await setup();
    w.start();
    await until(() => w.connected);
    const call = emu.createLocalCall({ id: 'n5' });
    emu.setVar(call.inbound, 'CONSENT_ID', 'consent-n5');
    expect(await w.mixMonitor(call.inbound.name, 'consent-n5.wav')).toEqual({ status: 'accepted' });
    await until(() => count('recordingFileKnown') === 1);
    expect(of('recordingStarted')[0]).toMatchObject({ consentId: 'consent-n5', file: `${emu.monitorDir}/consent-n5.wav` });
    expect(await w.getVar(call.caller.name, 'UNIQUEID')).toEqual({ status: 'ok', value: 'n5-c' });
    expect(await w.getVar('Local/none;1', 'UNIQUEID')).toEqual({ status: 'error', message: 'No such channel' });
    expect(await w.mixMonitor('Local/none;1', 'x.wav')).toEqual({ status: 'error', message: 'No such channel' });
  });

  test('mixMonitor() refuses unsafe file names and header injection without sending anything', async () => {
    const { emu, w } = await setup();
    w.start();
    await until(() => w.connected);
    const before = emu.actions.length;
    expect(await w.mixMonitor('Local/x;2', '../../etc/passwd')).toEqual({ status: 'rejected', reason: 'invalid-file' });
    expect(await w.mixMonitor('Local/x;2', '+48600100200.wav')).toEqual({ status: 'rejected', reason: 'invalid-file' });
    expect(await w.mixMonitor('Local/x;2\r\nAction: Hangup', 'a.wav')).toEqual({ status: 'rejected', reason: 'invalid-channel' });
    expect(await w.getVar('Local/x;2\r\nAction: Hangup', 'X')).toMatchObject({ status: 'error' });
    expect(emu.actions.length).toBe(before);
  });
});

describe('connection faults', () => {
  test('AMI drops mid-call and comes back: state kept, no duplicate start, the later hang-up ends the recording', async () => {
    const { emu, w, count, of } = await setup();
    w.start();
    await until(() => w.connected);
    const { call, file } = consentedCall(emu, 'd1');
    await until(() => count('recordingFileKnown') === 1);

    await emu.restart(60);
    await until(() => count('disconnected') === 1);
    await until(() => w.connected && count('connected') === 2);
    expect(of('connected')).toEqual([{ reconnect: false }, { reconnect: true }]);
    expect(w.activeRecordings()).toEqual([
      { channel: call.inbound.name, uniqueid: 'd1-s', linkedid: 'd1-c', consentId: 'consent-d1', file },
    ]);
    await sleep(30); // let the reconciliation run: the channel is alive, nothing may end
    expect(count('recordingStopped')).toBe(0);

    emu.hangupLocalCall(call);
    await until(() => count('recordingStopped') === 1);
    expect(of('recordingStopped')[0]).toMatchObject({ uniqueid: 'd1-s', reason: 'hangup', consentId: 'consent-d1', file });
    expect(count('recordingStarted')).toBe(1);
    expect(count('recordingFileKnown')).toBe(1);
  });

  test('the caller hangs up while AMI is down: after reconnect the recording is ended as recovered', async () => {
    const { emu, w, count, of } = await setup();
    w.start();
    await until(() => w.connected);
    const { call, file } = consentedCall(emu, 'd2');
    await until(() => count('recordingStarted') === 1);

    emu.dropConnections();
    await emu.refuseConnections();
    await until(() => count('disconnected') === 1);
    emu.hangupLocalCall(call); // nobody hears these events
    await emu.acceptConnections();

    await until(() => count('recordingStopped') === 1);
    expect(of('recordingStopped')).toEqual([
      {
        channel: call.inbound.name,
        uniqueid: 'd2-s',
        linkedid: 'd2-c',
        consentId: 'consent-d2',
        file,
        reason: 'hangup',
        recovered: true,
      },
    ]);
    expect(w.activeRecordings()).toEqual([]);
  });

  test('Asterisk not up yet: connection refused is retried with backoff, then it connects; no unhandled errors', async () => {
    const { emu, w, sink } = await setup();
    await emu.refuseConnections();
    w.start();
    await until(() => sink.lines().filter((l) => l['msg'] === 'AMI unreachable; retrying').length >= 2);
    expect(w.connected).toBe(false);
    expect(w.state).toBe('waiting');
    await emu.acceptConnections();
    await until(() => w.connected);
    const warn = sink.lines().find((l) => l['msg'] === 'AMI unreachable; retrying')!;
    expect(warn['error']).toMatch(/ECONNREFUSED/);
    expect(warn['level']).toBe(40);
  });

  test('wrong secret: clear error, slow bounded retries, then gives up; the secret never reaches the log', async () => {
    emu = await AmiEmulator.start({ users: [{ ...USER, secret: 'the-right-one' }], authFailDelayMs: 10 });
    const sink = logSink();
    watcher = createAmiWatcher(
      {
        host: emu.host,
        port: emu.port,
        username: USER.username,
        secret: SECRET,
        authRetryMs: 30,
        maxAuthFailures: 3,
        backoff: { initialMs: 10 },
      },
      { logger: sink.logger },
    );
    const failures: number[] = [];
    let gaveUp = 0;
    watcher.on('authFailed', (e) => failures.push(e.failures));
    watcher.on('gaveUp', () => gaveUp++);
    watcher.start();
    await until(() => gaveUp === 1);
    await sleep(120);
    expect(failures).toEqual([1, 2, 3]);
    expect(emu.loginAttempts).toBe(3);
    expect(watcher.state).toBe('gave-up');
    expect(watcher.connected).toBe(false);
    const errors = sink.lines().filter((l) => l['level'] === 50);
    expect(errors.map((l) => l['msg'])).toEqual([
      'AMI login refused: wrong username or secret; retrying slowly',
      'AMI login refused: wrong username or secret; retrying slowly',
      'AMI login refused again; giving up. Fix the AMI username/secret (manager.conf and ConsentLine config) and restart',
    ]);
    expect(errors[0]).toMatchObject({ asterisk: 'Authentication failed', username: 'consentline' });
    expect(sink.text()).not.toContain(SECRET);
  });

  test('a listener that throws is logged and does not break delivery', async () => {
    const { emu, w, count, sink } = await setup();
    w.on('consentVar', () => {
      throw new Error('boom');
    });
    w.start();
    await until(() => w.connected);
    consentedCall(emu, 'l1');
    await until(() => count('recordingFileKnown') === 1);
    expect(sink.lines().some((l) => l['msg'] === 'AMI watcher listener threw; event delivery goes on')).toBe(true);
  });

  test('stop() while waiting to retry ends all activity', async () => {
    const { emu, w } = await setup();
    await emu.refuseConnections();
    w.start();
    await sleep(30);
    await w.stop();
    const attempts = emu.actions.length;
    await emu.acceptConnections();
    await sleep(80);
    expect(w.state).toBe('stopped');
    expect(emu.sessionCount).toBe(0);
    expect(emu.actions.length).toBe(attempts);
  });
});
