/** The emulator's protocol rules beyond the transcripts: permissions, filtering, errors, files. */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { AmiEmulator, headerOf, WAV_HEADER_BYTES } from '../../emulators/ami/index.js';
import { RawAmiClient, until } from './helpers.js';
import { DEFAULTS } from '../../../src/config/defaults.js';

let emu: AmiEmulator;
let dir: string;
const clients: RawAmiClient[] = [];

async function client(): Promise<RawAmiClient> {
  const c = await RawAmiClient.connect(emu.port);
  clients.push(c);
  return c;
}

const names = (c: RawAmiClient): string[] => c.events().map((p) => headerOf(p, 'Event') ?? '');
const keys = (p: readonly (readonly [string, string])[] | undefined): string[] => (p ?? []).map(([k]) => k);

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ami-emu-'));
  emu = await AmiEmulator.start({
    monitorDir: dir,
    authFailDelayMs: 20,
    users: [
      { username: 'watcher', secret: 's1', read: ['call', 'dialplan'], write: ['call'] },
      { username: 'callonly', secret: 's2', read: ['call'], write: [] },
      { username: 'admin', secret: 's3', read: ['all'], write: ['all'] },
    ],
  });
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await emu.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('login', () => {
  test('accepted: Success with the message, ActionID echoed; FullyBooted only for users that read system', async () => {
    const admin = await client();
    const ok = await admin.login('admin', 's3');
    expect(ok).toEqual([
      ['Response', 'Success'],
      ['ActionID', 'raw-1'],
      ['Message', 'Authentication accepted'],
    ]);
    await admin.flush();
    const booted = admin.events().find((p) => headerOf(p, 'Event') === 'FullyBooted');
    expect(keys(booted)).toEqual(['Event', 'Privilege', 'Uptime', 'LastReload', 'Status']);
    expect(headerOf(booted!, 'Privilege')).toBe('system,all');

    const w = await client();
    await w.login('watcher', 's1');
    await w.flush();
    expect(names(w)).toEqual([]);
  });

  test('wrong secret: Error "Authentication failed" after the delay, then the session is closed', async () => {
    const c = await client();
    const r = await c.login('watcher', 'nope');
    expect(r).toEqual([
      ['Response', 'Error'],
      ['ActionID', 'raw-1'],
      ['Message', 'Authentication failed'],
    ]);
    await until(() => c.closed);
  });

  test('actions before login get "Permission denied"; Login again says "Already authenticated"', async () => {
    const c = await client();
    expect(headerOf(await c.request([['Action', 'Getvar'], ['Variable', 'X']]), 'Message')).toBe('Permission denied');
    await c.login('watcher', 's1');
    expect(headerOf(await c.login('watcher', 's1'), 'Message')).toBe('Already authenticated');
  });
});

describe('actions', () => {
  test('unknown action, Ping, Logoff as Asterisk answers them', async () => {
    const c = await client();
    await c.login('admin', 's3');
    const unknown = await c.request([['Action', 'Frobnicate']]);
    expect(headerOf(unknown, 'Response')).toBe('Error');
    expect(headerOf(unknown, 'Message')).toBe(
      'Invalid/unknown command: Frobnicate. Use Action: ListCommands to show available commands.',
    );
    const pong = await c.request([['Action', 'Ping']]);
    expect(keys(pong)).toEqual(['Response', 'ActionID', 'Ping', 'Timestamp']);
    expect(headerOf(pong, 'Timestamp')).toMatch(/^\d+\.\d{6}$/);
    const bye = await c.request([['Action', 'Logoff']]);
    expect(bye).toEqual([
      ['Response', 'Goodbye'],
      ['ActionID', 'raw-4'],
      ['Message', 'Thanks for all the fish.'],
    ]);
    await until(() => c.closed);
  });

  test('write permissions: MixMonitor needs system, Getvar works with call', async () => {
    emu.addChannel({ channel: 'PJSIP/trunk-00000001', uniqueid: 'u1' });
    const c = await client();
    await c.login('watcher', 's1');
    const mm = await c.request([['Action', 'MixMonitor'], ['Channel', 'PJSIP/trunk-00000001'], ['File', 'x.wav']]);
    expect(headerOf(mm, 'Message')).toBe('Permission denied');
    const gv = await c.request([['Action', 'Getvar'], ['Channel', 'PJSIP/trunk-00000001'], ['Variable', 'UNIQUEID']]);
    expect(keys(gv)).toEqual(['Response', 'ActionID', 'Variable', 'Value']);
    expect(headerOf(gv, 'Value')).toBe('u1');
    const missing = await c.request([['Action', 'Getvar'], ['Channel', 'PJSIP/none'], ['Variable', 'UNIQUEID']]);
    expect(headerOf(missing, 'Message')).toBe('No such channel');
  });

  test('Setvar answers "Variable Set" and publishes VarSet; StopMixMonitor without a recording fails', async () => {
    emu.addChannel({ channel: 'PJSIP/trunk-00000002', uniqueid: 'u2', state: 'Up' });
    const c = await client();
    await c.login('admin', 's3');
    const sv = await c.request([['Action', 'Setvar'], ['Channel', 'PJSIP/trunk-00000002'], ['Variable', 'CONSENT_ID'], ['Value', 'c-1']]);
    expect(headerOf(sv, 'Message')).toBe('Variable Set');
    await c.flush();
    const varset = c.events().find((p) => headerOf(p, 'Event') === 'VarSet');
    expect(headerOf(varset!, 'Variable')).toBe('CONSENT_ID');
    expect(headerOf(varset!, 'Privilege')).toBe('dialplan,all');
    const stop = await c.request([['Action', 'StopMixMonitor'], ['Channel', 'PJSIP/trunk-00000002']]);
    expect(headerOf(stop, 'Message')).toBe('Could not stop monitoring channel');
  });
});

describe('event classes', () => {
  test('read=call gets MixMonitorStart and Hangup but not VarSet (dialplan)', async () => {
    const c = await client();
    await c.login('callonly', 's2');
    const call = emu.createLocalCall({ id: 'f1' });
    emu.startMixMonitor(call.inbound, 'f1.wav');
    emu.hangupLocalCall(call);
    await c.flush();
    expect(names(c)).toEqual([
      'NewCallerid',
      'NewConnectedLine',
      'NewCallerid',
      'NewConnectedLine',
      'MixMonitorStart',
      'SoftHangupRequest',
      'HangupRequest',
      'Hangup',
      'SoftHangupRequest',
      'Hangup',
    ]);
    for (const p of c.events()) expect(headerOf(p, 'Privilege')).toBe('call,all');
  });

  test('Events: off at login silences events', async () => {
    const c = await client();
    await c.request([['Action', 'Login'], ['Username', 'admin'], ['Secret', 's3'], ['Events', 'off']]);
    emu.createLocalCall({ id: 'f2' });
    await c.flush();
    expect(names(c)).toEqual([]);
  });
});

describe('recording files', () => {
  test('a recording with audio leaves a WAV with sound; a silent one the 44-byte header; a hang-up closes it', async () => {
    const call = emu.createLocalCall({ id: 'w1' });
    const loud = emu.startMixMonitor(call.inbound, 'w1-loud.wav', { seconds: 0.5 });
    emu.stopMixMonitor(call.inbound);
    const quiet = emu.startMixMonitor(call.inbound, 'w1-quiet.wav', 'silent');
    emu.hangupLocalCall(call);
    await emu.flushFiles();
    expect(loud).toBe(path.join(dir, 'w1-loud.wav'));
    const wav = await readFile(loud);
    expect(wav.subarray(0, 4).toString('ascii')).toBe('RIFF');
    expect(wav.length).toBe(WAV_HEADER_BYTES + 0.5 * 8000 * 2);
    expect(wav.subarray(WAV_HEADER_BYTES).some((b) => b !== 0)).toBe(true);
    expect((await stat(quiet)).size).toBe(WAV_HEADER_BYTES);
  });

  test('files are written only inside the monitorDir the test gave it (issue 19.6: never into the system)', async () => {
    const elsewhere = path.join(`${dir}-elsewhere`, 'consentline-x-1.wav');
    try {
      const call = emu.createLocalCall({ id: 'w2' });
      expect(emu.startMixMonitor(call.inbound, elsewhere, { seconds: 0.1 })).toBe(elsewhere);
      emu.hangupLocalCall(call);
      await emu.flushFiles();
      await expect(stat(path.dirname(elsewhere))).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await rm(path.dirname(elsewhere), { recursive: true, force: true });
    }
    // Without a monitorDir the emulator reports Asterisk's default path and writes nothing at all.
    const bare = await AmiEmulator.start({ users: [] });
    try {
      expect(bare.monitorDir).toBe(DEFAULTS.spoolDir);
      expect(bare.writesFiles).toBe(false);
    } finally {
      await bare.stop();
    }
  });
});

describe('connection faults', () => {
  test('dropConnections closes every session; refuseConnections makes connects fail until accepted again', async () => {
    const c = await client();
    await c.login('admin', 's3');
    emu.dropConnections();
    await until(() => c.closed);
    await emu.refuseConnections();
    await expect(RawAmiClient.connect(emu.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await emu.acceptConnections();
    const again = await client();
    expect(headerOf(await again.login('admin', 's3'), 'Response')).toBe('Success');
  });
});
