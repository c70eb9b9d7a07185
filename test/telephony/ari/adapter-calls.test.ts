import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AriEmulator } from '../../emulators/ari/emulator.js';
import { AriAdapter } from '../../../src/telephony/ari/adapter.js';
import { AriRequestError } from '../../../src/telephony/ari/port.js';
import { captureLogger, channelTrail, recordApp, until } from './helpers.js';

describe('AriAdapter commands through a live ARI link', () => {
  let emu: AriEmulator;
  let ari: AriAdapter;
  let rec: ReturnType<typeof recordApp>;

  beforeEach(async () => {
    emu = await AriEmulator.start({ playbackMs: { notice: 60, menu: 400 }, knownContexts: ['consent-ok'] });
    ari = new AriAdapter({
      url: emu.url,
      username: emu.username,
      password: emu.password,
      app: emu.app,
      requestTimeoutMs: 300,
      logger: captureLogger().logger,
    });
    rec = recordApp();
    await ari.start(rec.events);
  });

  afterEach(async () => {
    await ari.close();
    await emu.close();
  });

  it('plays, hears DTMF, sets a variable and continues the call', async () => {
    const call = emu.originate({ callerNumber: '48600100200', callerName: 'Jan', exten: '221', language: 'pl', args: ['inbound'] });
    await until(() => rec.log.some((r) => r.kind === 'start'), 'StasisStart');
    expect(rec.log.find((r) => r.kind === 'start')).toEqual({
      kind: 'start',
      channel: {
        id: call.id,
        name: expect.stringMatching(/^PJSIP\//),
        callerNumber: '48600100200',
        callerName: 'Jan',
        dialedExten: '221',
        language: 'pl',
        args: ['inbound'],
        state: 'Ring',
      },
    });
    expect(ari.connected).toBe(true);

    await ari.answer(call.id);
    await ari.play(call.id, 'pb-1', 'sound:notice', 'pl');
    await until(() => channelTrail(rec.log, call.id).includes('PlaybackFinished:done'), 'notice done');
    call.dtmf('1');
    await until(() => channelTrail(rec.log, call.id).includes('Dtmf:1'), 'dtmf');
    await ari.setVariable(call.id, 'CONSENT_RECORDING', 'yes');
    await ari.continueInDialplan(call.id, { context: 'consent-ok', extension: 's', priority: 1 });
    await until(() => channelTrail(rec.log, call.id).includes('StasisEnd'), 'StasisEnd');

    expect(channelTrail(rec.log, call.id)).toEqual(['PlaybackStarted', 'PlaybackFinished:done', 'Dtmf:1', 'StasisEnd']);
    expect(call.variables()).toEqual({ CONSENT_RECORDING: 'yes' });
    expect(await call.outcome()).toEqual({
      kind: 'continued',
      target: { context: 'consent-ok', extension: 's', priority: 1 },
      dropped: false,
    });
    const play = emu.requests.find((r) => r.path.endsWith('/play'));
    expect(play?.query).toEqual({ media: 'sound:notice', lang: 'pl', playbackId: 'pb-1' });
  });

  it('sets several variables in one request through ARRAY(), in order; values ARRAY would mangle go one by one', async () => {
    const call = emu.originate();
    await until(() => rec.log.some((r) => r.kind === 'start'), 'StasisStart');
    await ari.setVariables(call.id, [['CONSENT_ID', 'ab-12'], ['CONSENT_LANG', 'pl'], ['CONSENT_RECORDING', 'yes']]);
    const sets = () => emu.requests.filter((r) => r.path.endsWith('/variable')).map((r) => r.query);
    expect(sets()).toEqual([{ variable: 'ARRAY(CONSENT_ID,CONSENT_LANG,CONSENT_RECORDING)', value: 'ab-12,pl,yes' }]);
    expect(call.variables()).toEqual({ CONSENT_ID: 'ab-12', CONSENT_LANG: 'pl', CONSENT_RECORDING: 'yes' });
    // The emulator raises one ChannelVarset per variable, in ARRAY's order, as Asterisk does.
    expect(emu.events.filter((e) => e.event.type === 'ChannelVarset' && e.channelId === call.id).map((e) => e.event.variable)).toEqual(['CONSENT_ID', 'CONSENT_LANG', 'CONSENT_RECORDING']);

    await ari.setVariables(call.id, [['A', 'x,y'], ['B', '2']]);
    expect(sets().slice(1)).toEqual([{ variable: 'A', value: 'x,y' }, { variable: 'B', value: '2' }]);
    expect(call.variables()).toMatchObject({ A: 'x,y', B: '2' });
  });

  it('stops a playback early: PlaybackFinished done', async () => {
    const call = emu.originate();
    await until(() => rec.log.some((r) => r.kind === 'start'), 'StasisStart');
    await ari.play(call.id, 'pb-menu', 'sound:menu', 'en');
    await until(() => channelTrail(rec.log, call.id).includes('PlaybackStarted'), 'started');
    await ari.stopPlayback('pb-menu');
    await until(() => channelTrail(rec.log, call.id).includes('PlaybackFinished:done'), 'stopped');
  });

  it('answers a request on a channel that hung up with AriRequestError.gone', async () => {
    const call = emu.originate();
    await until(() => rec.log.some((r) => r.kind === 'start'), 'StasisStart');
    await ari.play(call.id, 'pb-1', 'sound:menu', 'en');
    await until(() => channelTrail(rec.log, call.id).includes('PlaybackStarted'), 'started');
    call.hangup();
    await until(() => channelTrail(rec.log, call.id).includes('StasisEnd'), 'StasisEnd');
    expect(channelTrail(rec.log, call.id)).toEqual(['PlaybackStarted', 'HangupRequest', 'PlaybackFinished:failed', 'StasisEnd']);

    const err = await ari.play(call.id, 'pb-2', 'sound:menu', 'en').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AriRequestError);
    expect(err).toMatchObject({ status: 404, gone: true, operation: 'channels.play' });
    expect(await ari.getChannel(call.id)).toBeNull();
    await expect(ari.continueInDialplan(call.id, { context: 'consent-ok', extension: 's', priority: 1 })).rejects.toMatchObject({ gone: true });
  });

  it('maps 409 for a channel outside the application', async () => {
    const call = emu.originate();
    await until(() => rec.log.some((r) => r.kind === 'start'), 'StasisStart');
    await ari.continueInDialplan(call.id, { context: 'consent-ok', extension: 's', priority: 1 });
    const err = await ari.setVariable(call.id, 'X', '1').catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 409, gone: false, message: expect.stringContaining('Channel not in Stasis application') });
  });

  it('times out a request Asterisk never answers (status 0) and keeps working', async () => {
    const call = emu.originate();
    await until(() => rec.log.some((r) => r.kind === 'start'), 'StasisStart');
    emu.hangNext({ method: 'POST', path: '/channels/*/play' });
    const started = Date.now();
    const err = await ari.play(call.id, 'pb-1', 'sound:notice', 'en').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AriRequestError);
    expect((err as AriRequestError).status).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    await ari.play(call.id, 'pb-2', 'sound:notice', 'en');
  });

  it('retries an idempotent request after ECONNRESET but not a play', async () => {
    const call = emu.originate();
    await until(() => rec.log.some((r) => r.kind === 'start'), 'StasisStart');
    emu.resetNext({ method: 'POST', path: '/channels/*/variable' });
    await ari.setVariable(call.id, 'A', '1');
    expect(emu.requests.filter((r) => r.path.endsWith('/variable')).map((r) => r.status)).toEqual(['reset', 204]);

    emu.resetNext({ method: 'POST', path: '/channels/*/play' });
    await expect(ari.play(call.id, 'pb-x', 'sound:notice', 'en')).rejects.toMatchObject({ status: 0 });
    expect(emu.requests.filter((r) => r.path.endsWith('/play'))).toHaveLength(1);
  });

  it('lists the channels the application holds and reads one', async () => {
    const a = emu.originate({ callerNumber: '111', exten: '500' });
    const b = emu.originate();
    await until(() => rec.log.filter((r) => r.kind === 'start').length === 2, 'two starts');
    expect((await ari.listAppChannels()).sort()).toEqual([a.id, b.id].sort());
    expect(await ari.getChannel(a.id)).toMatchObject({ id: a.id, callerNumber: '111', dialedExten: '500' });
    b.hangup();
    expect(await ari.listAppChannels()).toEqual([a.id]);
  });

  it('a wrong route is accepted with 204 and the call is dropped', async () => {
    const call = emu.originate();
    await until(() => rec.log.some((r) => r.kind === 'start'), 'StasisStart');
    await ari.continueInDialplan(call.id, { context: 'no-such-context', extension: 's', priority: 1 });
    expect(await call.outcome()).toMatchObject({ kind: 'continued', dropped: true });
    expect(call.hungUp).toBe(true);
  });
});
