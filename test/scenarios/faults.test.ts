import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { pressAfter, pressDuring } from '../emulators/ari/emulator.js';
import { eventsOfChannel, promptsPlayed, startScenario } from './harness.js';

type Scenario = Awaited<ReturnType<typeof startScenario>>;
let s: Scenario | undefined;
afterEach(async () => {
  // Whatever the fault, every call ends with exactly one outcome.
  if (s) expect(await s.outcomeFindings()).toEqual([]);
  await s?.stop();
  s = undefined;
});

const MENU = 'consentline/menu';
const FALLBACK = { context: 'consentline-fallback', extension: 's', priority: 1 };

describe('fail open for the caller, fail closed for recording', () => {
  it('an ARI request that errors (500 on play) → fallback route, CONSENT_RECORDING=no, ledger says so', async () => {
    s = await startScenario();
    s.emu.failNext({ method: 'POST', path: '/channels/*/play' }, 500, { message: 'Internal Server Error' });
    const r = await s.call();
    expect(r.outcome).toMatchObject({ kind: 'continued', target: FALLBACK });
    expect(r.vars).toMatchObject({ CONSENT_RECORDING: 'no', CONSENT_MARKETING: 'none' });
    expect(r.kinds).toEqual(['call.started', 'call.failed']);
    expect(r.events[1]!.data).toMatchObject({ reason: 'ari_http_500', route: 'fallback', recording: 'no' });
  });

  it('an ARI request that hangs → request timeout → fallback, unrecorded', async () => {
    s = await startScenario();
    s.emu.hangNext({ method: 'POST', path: '/channels/*/play' });
    const r = await s.call();
    expect(r.outcome).toMatchObject({ kind: 'continued', target: FALLBACK });
    expect(r.vars.CONSENT_RECORDING).toBe('no');
    expect(r.events.at(-1)!.data).toMatchObject({ reason: 'ari_unreachable' });
  });

  it('a prompt Asterisk cannot find (201, then PlaybackContinuing at once: it goes on to the menu) → fallback: the notice was never heard', async () => {
    s = await startScenario({ emulator: { knownSounds: ['consentline/menu'] } });
    const r = await s.call();
    // Notice and menu are one playback; Asterisk skips the missing notice with the same event a played one gets.
    const pb = s.emu.events.filter((e) => e.channelId === r.handle.id && String(e.event.type).startsWith('Playback')).map((e) => e.event.type);
    expect(pb.slice(0, 2)).toEqual(['PlaybackStarted', 'PlaybackContinuing']);
    expect(s.emu.requests.filter((q) => q.path.endsWith('/play')).map((q) => q.query.media)).toEqual(['sound:consentline/notice,sound:consentline/menu']);
    expect(r.outcome).toMatchObject({ kind: 'continued', target: FALLBACK });
    expect(promptsPlayed(r.events)).toEqual(['notice:failed']);
    expect(r.events.at(-1)!.data).toMatchObject({ reason: 'prompt_failed:notice', recording: 'no' });
  });

  it('a failure while setting the variables after a yes → fallback with recording explicitly off', async () => {
    s = await startScenario();
    s.emu.failNext({ method: 'POST', path: '/channels/*/variable' }, 500);
    const r = await s.call({ script: [pressAfter(MENU, '1', 20)] });
    expect(r.outcome).toMatchObject({ kind: 'continued', target: FALLBACK });
    expect(r.vars.CONSENT_RECORDING).toBe('no');
    expect(r.kinds.at(-1)).toBe('call.failed');
    expect(r.kinds).not.toContain('call.continued');
  });

  it('an evidence store that refuses writes → the caller still goes on, to the fallback, unrecorded', async () => {
    s = await startScenario({ emulator: { playbackMs: { 'consentline/notice': 3000 } } });
    await s.service.store.close();
    const handle = s.emu.originate({ callerNumber: '+48600100200' });
    const outcome = await handle.outcome();
    expect(outcome).toMatchObject({ kind: 'continued', target: FALLBACK });
    expect(handle.variables().CONSENT_RECORDING).toBe('no');
    // It did not wait for the 3 s notice: the failed write ended the flow at once.
    expect(s.logs.some((l) => l.msg === 'evidence store refused call.started')).toBe(true);
    expect(s.logs.some((l) => l.msg === 'call sent to fallback route, unrecorded' && l.reason === 'evidence_unavailable')).toBe(true);
  });

  it('the absolute call time limit sends a caller who never answers on, unrecorded', async () => {
    s = await startScenario({ flow: { timeouts: { digitSeconds: 10, callSeconds: 3, promptSeconds: 10 } } });
    const r = await s.call();
    expect(r.outcome).toMatchObject({ kind: 'continued', target: FALLBACK });
    expect(r.events.at(-1)!.data).toMatchObject({ reason: 'call_time_limit', step: 'menu' });
  });

  it('a route to a context Asterisk does not know drops the call: the evidence still says where it was sent', async () => {
    s = await startScenario({ emulator: { knownContexts: ['consentline-fallback'] } });
    const r = await s.call({ script: [pressAfter(MENU, '1', 20)] });
    expect(r.outcome).toMatchObject({ kind: 'continued', dropped: true });
    expect(r.events.at(-1)!.data).toMatchObject({ route: 'sales' });
  });
});

describe('ARI link loss', () => {
  it('WebSocket drop mid-call: reconnect, replay the step whose events were lost, then go on', async () => {
    s = await startScenario({ emulator: { playbackMs: { 'consentline/notice': 400 } } });
    const emu = s.emu;
    const handle = emu.originate({ callerNumber: '+48600100200', exten: '221234567', language: 'pl' });
    await emu.waitForEvent('PlaybackStarted');
    emu.dropWebSocket({ refuseReconnectMs: 500 });
    // The notice ends while the link is down: its PlaybackFinished is lost.
    await new Promise((r) => setTimeout(r, 600));
    await emu.waitFor(() => emu.appConnected(), { what: 'reconnect', timeoutMs: 10_000 });
    await emu.waitFor(() => emu.requests.some((q) => q.path.endsWith('/play') && q.query.media === 'sound:consentline/menu'), {
      what: 'the menu after the replayed notice',
      timeoutMs: 5000,
    });
    handle.dtmf('1');
    const outcome = await handle.outcome();
    await s.service.calls.drain();
    const events = await eventsOfChannel(s.service, handle.id);
    expect(outcome).toMatchObject({ kind: 'continued' });
    expect(promptsPlayed(events).slice(0, 2)).toEqual(['notice:link_lost', 'notice:completed']);
    expect(handle.variables().CONSENT_RECORDING).toBe('yes');
    expect(s.logs.some((l) => l.msg === 'ARI events connected' && l.reconnect === true)).toBe(true);
  });

  it('a caller who hangs up while the link is down is closed as abandoned after the reconnect', async () => {
    s = await startScenario({ emulator: { playbackMs: { 'consentline/notice': 2000 } } });
    const emu = s.emu;
    const handle = emu.originate({ callerNumber: '+48600100200' });
    await emu.waitForEvent('PlaybackStarted');
    emu.dropWebSocket({ refuseReconnectMs: 300 });
    handle.hangup();
    await emu.waitFor(() => emu.appConnected(), { what: 'reconnect', timeoutMs: 10_000 });
    await s.service.calls.drain();
    const events = await eventsOfChannel(s.service, handle.id);
    expect(events.map((e) => e.kind).at(-1)).toBe('call.abandoned');
  });

  it('a channel already in Stasis when the service starts (restart) is sent on to the fallback, unrecorded', async () => {
    let orphanId = '';
    s = await startScenario({
      beforeService: async (emu) => {
        // Another process held the app (the service before its restart); the call entered Stasis then.
        const ws = new WebSocket(`ws://127.0.0.1:${emu.port}/ari/events?app=consentline&api_key=${emu.username}:${emu.password}`);
        await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
        orphanId = emu.originate({ callerNumber: '+48600100200' }).id;
        ws.terminate();
        await emu.waitFor(() => !emu.appConnected());
      },
    });
    const handle = s.emu.channel(orphanId)!;
    await s.emu.waitFor(() => s!.emu.channel(orphanId)!.continuedTo !== null, { what: 'the orphan sent on', timeoutMs: 5000 });
    await s.service.calls.drain();
    expect(s.emu.channel(orphanId)!.continuedTo).toEqual(FALLBACK);
    expect(s.emu.channel(orphanId)!.variables.CONSENT_RECORDING).toBe('no');
    const events = await eventsOfChannel(s.service, handle.id);
    expect(events.map((e) => e.kind)).toEqual(['call.started', 'call.failed']);
    expect(events[1]!.data).toMatchObject({ reason: 'orphaned_after_reconnect' });
  });

  it('shutdown sends live calls on to their fallback route, unrecorded', async () => {
    s = await startScenario({ emulator: { playbackMs: { 'consentline/notice': 3000 } } });
    const handle = s.emu.originate({ callerNumber: '+48600100200', script: [pressDuring('consentline/notice', '1', 10)] });
    await s.emu.waitForEvent('PlaybackStarted');
    await s.service.calls.shutdown();
    const outcome = await handle.outcome();
    expect(outcome).toMatchObject({ kind: 'continued', target: FALLBACK });
    expect(handle.variables().CONSENT_RECORDING).toBe('no');
    const events = await eventsOfChannel(s.service, handle.id);
    expect(events.at(-1)!.data).toMatchObject({ reason: 'service_stopping' });
  });

  it('shutdown while the notice plays, as on Asterisk (variables wait behind the prompt): the notice is stopped, the variables set, the caller goes on at once', async () => {
    s = await startScenario({ emulator: { controlQueue: true, playbackMs: { 'consentline/notice': 20_000 } } });
    const handle = s.emu.originate({ callerNumber: '+48600100200' });
    await s.emu.waitForEvent('PlaybackStarted');
    const stoppingAt = Date.now();
    await s.service.calls.shutdown();
    await handle.outcome();
    expect(s.emu.channel(handle.id)!.continuedAt! - stoppingAt).toBeLessThan(5_000);
    expect(handle.continuedTo).toEqual(FALLBACK);
    expect(handle.variables()).toMatchObject({ CONSENT_RECORDING: 'no', CONSENT_MARKETING: 'none' });
  });
});
