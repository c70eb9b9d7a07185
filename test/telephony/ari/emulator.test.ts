import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { wsEventsConnector } from '../../../src/telephony/ari/ws-events.js';
import {
  AriEmulator,
  hangUpAfterStart,
  hangUpDuring,
  pressAfter,
  pressDuring,
  type AriEmulatorOptions,
} from '../../emulators/ari/emulator.js';

function status(port: number, method: string, path: string, auth?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, auth }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('ARI emulator', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function start(opts: AriEmulatorOptions = {}) {
    const emu = await AriEmulator.start(opts);
    cleanups.push(() => emu.close());
    return emu;
  }

  /** A plain events WebSocket for the default app; returns the event types it receives. */
  async function listen(emu: AriEmulator) {
    const types: string[] = [];
    const ws = new WebSocket(`ws://127.0.0.1:${emu.port}/ari/events?app=${emu.app}&api_key=asterisk:asterisk`);
    ws.on('message', (d) => types.push((JSON.parse(String(d)) as { type: string }).type));
    await new Promise((r, j) => ws.once('open', r).once('error', j));
    cleanups.push(() => ws.terminate());
    return types;
  }

  /** A stand-in for the app: plays `media` on every StasisStart, one after another. */
  async function playAll(emu: AriEmulator, channelId: string, media: string[]) {
    for (const [i, m] of media.entries()) {
      const code = await status(emu.port, 'POST', `/ari/channels/${channelId}/play?media=sound:${m}&playbackId=${channelId}-${i}`, 'asterisk:asterisk');
      expect(code).toBe(201);
    }
  }

  it('refuses wrong credentials with 401 on REST and on the events socket', async () => {
    const emu = await start({ username: 'u', password: 'p' });
    expect(await status(emu.port, 'GET', '/ari/applications/x', 'u:wrong')).toBe(401);
    expect(await status(emu.port, 'GET', '/ari/api-docs/resources.json', 'u:wrong')).toBe(401);
    expect(await status(emu.port, 'GET', '/ari/api-docs/resources.json', 'u:p')).toBe(200);
    expect(await status(emu.port, 'GET', '/ari/applications/x?api_key=u:p')).toBe(404);
    const ws = new WebSocket(`ws://127.0.0.1:${emu.port}/ari/events?app=a&api_key=u:wrong`);
    const err = await new Promise<Error>((r) => ws.once('error', r));
    expect(err.message).toContain('401');
  });

  it('a call while no app is connected does not enter Stasis (STASISSTATUS=FAILED)', async () => {
    const emu = await start();
    const call = emu.originate();
    expect(call.enteredStasis).toBe(false);
    expect(call.variables()).toEqual({ STASISSTATUS: 'FAILED' });
    expect(await call.outcome()).toEqual({ kind: 'not-in-stasis' });
  });

  it('scripted caller hangs up 100 ms into the notice: playback fails, then StasisEnd', async () => {
    const emu = await start({ playbackMs: { notice: 300 } });
    const types = await listen(emu);
    const call = emu.originate({ script: [hangUpDuring('notice', 100)] });
    await playAll(emu, call.id, ['notice']);
    expect(await call.outcome()).toEqual({ kind: 'hungup', by: 'caller', cause: 16 });
    await emu.waitFor(() => types.includes('StasisEnd'));
    expect(types).toEqual(['StasisStart', 'PlaybackStarted', 'ChannelHangupRequest', 'PlaybackFinished', 'StasisEnd']);
    const finished = await emu.waitForEvent('PlaybackFinished', { channelId: call.id });
    expect(finished.event).toMatchObject({ playback: { state: 'failed', media_uri: 'sound:notice' } });
  });

  it('scripted caller presses 9 during the menu and 1 after the clause', async () => {
    const emu = await start({ playbackMs: { menu: 80, clause: 40 } });
    await listen(emu);
    const call = emu.originate({ script: [pressDuring('menu', '9', 20), pressAfter('clause', '1')] });
    await playAll(emu, call.id, ['menu', 'clause']);
    const digits = async () => {
      await emu.waitFor(() => emu.events.filter((e) => e.event.type === 'ChannelDtmfReceived').length === 2);
      return emu.events.filter((e) => e.event.type === 'ChannelDtmfReceived').map((e) => e.event.digit);
    };
    expect(await digits()).toEqual(['9', '1']);
    const order = emu.events.map((e) => `${e.event.type}${e.event.digit ? `:${String(e.event.digit)}` : ''}`);
    expect(order.indexOf('ChannelDtmfReceived:9')).toBeLessThan(order.indexOf('PlaybackFinished'));
    expect(order.lastIndexOf('PlaybackFinished')).toBeLessThan(order.indexOf('ChannelDtmfReceived:1'));
  });

  it('a scripted hang-up fires even without any playback', async () => {
    const emu = await start();
    await listen(emu);
    const call = emu.originate({ script: [hangUpAfterStart(30)] });
    expect(await call.outcome()).toMatchObject({ kind: 'hungup', by: 'caller' });
  });

  it('a media list gives PlaybackContinuing; an unknown sound is accepted then fails', async () => {
    const emu = await start({ knownSounds: ['a', 'b'], defaultPlaybackMs: 20 });
    const types = await listen(emu);
    const call = emu.originate();
    expect(await status(emu.port, 'POST', `/ari/channels/${call.id}/play?media=sound:a,sound:b`, 'asterisk:asterisk')).toBe(201);
    await emu.waitFor(() => types.includes('PlaybackFinished'));
    expect(await status(emu.port, 'POST', `/ari/channels/${call.id}/play?media=sound:missing`, 'asterisk:asterisk')).toBe(201);
    await emu.waitFor(() => types.filter((t) => t === 'PlaybackFinished').length === 2);
    expect(types).toEqual([
      'StasisStart', 'PlaybackStarted', 'PlaybackContinuing', 'PlaybackStarted', 'PlaybackFinished',
      'PlaybackStarted', 'PlaybackFinished',
    ]);
    expect(emu.events.at(-1)?.event).toMatchObject({ playback: { state: 'failed' } });
  });

  it('injects a status, and logs requests', async () => {
    const emu = await start();
    await listen(emu);
    const call = emu.originate();
    emu.failNext({ method: 'POST', path: '/channels/*/answer' }, 500);
    const path = `/ari/channels/${call.id}/answer`;
    expect(await status(emu.port, 'POST', path, 'asterisk:asterisk')).toBe(500);
    expect(await status(emu.port, 'POST', path, 'asterisk:asterisk')).toBe(204);
    expect(emu.requests.map((r) => r.status)).toEqual([500, 204]);
    expect(emu.channel(call.id)?.state).toBe('Up');
  });

  it('serves stored recordings put in by a test', async () => {
    const emu = await start();
    emu.addStoredRecording('r1', 'wav', Buffer.from('RIFFxxxx'));
    expect(await status(emu.port, 'GET', '/ari/recordings/stored/r1/file', 'asterisk:asterisk')).toBe(200);
    expect(await status(emu.port, 'DELETE', '/ari/recordings/stored/r1', 'asterisk:asterisk')).toBe(204);
    expect(await status(emu.port, 'GET', '/ari/recordings/stored/r1', 'asterisk:asterisk')).toBe(404);
  });

  it("every event type it can emit reaches the service's events client (ws-events.ts) as parsed JSON", async () => {
    const emu = await start({ defaultPlaybackMs: 10, recordingMsPerSecond: 10 });
    const client = await wsEventsConnector(undefined)(emu.url, 'asterisk', 'asterisk');
    const seen = new Set<string>();
    client.on('*', (ev: { type: string }) => seen.add(ev.type));
    await client.start(emu.app);
    cleanups.push(() => client.stop());
    const call = emu.originate();
    const auth = 'asterisk:asterisk';
    await status(emu.port, 'POST', `/ari/channels/${call.id}/answer`, auth);
    await status(emu.port, 'POST', `/ari/channels/${call.id}/variable?variable=A&value=1`, auth);
    await status(emu.port, 'POST', `/ari/channels/${call.id}/play?media=sound:a,sound:b`, auth);
    await status(emu.port, 'POST', `/ari/channels/${call.id}/record?name=r&format=wav&maxDurationSeconds=1`, auth);
    await emu.waitFor(() => emu.events.some((e) => e.event.type === 'RecordingFinished'));
    call.dtmf('1');
    call.hangup();
    const all = ['StasisStart', 'ChannelStateChange', 'ChannelVarset', 'PlaybackStarted', 'PlaybackContinuing',
      'PlaybackFinished', 'RecordingStarted', 'RecordingFinished', 'ChannelDtmfReceived', 'ChannelHangupRequest', 'StasisEnd'];
    await emu.waitFor(() => all.every((t) => seen.has(t)), { what: 'all event types at the events client' });
  });
});
