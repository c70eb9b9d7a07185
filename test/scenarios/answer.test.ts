import { describe, expect, it } from 'vitest';
import { pressAfter } from '../emulators/ari/emulator.js';
import { eventsOfChannel, scenarioPerTest, type Scenario } from './harness.js';

/** Issue 18 defect 2: the service answers the channel before the notice, unless the flow says not to. */
const start = scenarioPerTest();

const MENU = 'consentline/menu';
const FALLBACK = { context: 'consentline-fallback', extension: 's', priority: 1 };
const requestsOf = (sc: Scenario, id: string) => sc.emu.requests.filter((q) => q.path.startsWith(`/channels/${id}/`)).map((q) => `${q.method} ${q.path.slice(`/channels/${id}`.length)}`);

describe('answering the channel', () => {
  it('a ringing channel is answered before the first prompt; Asterisk reports it Up; the ledger says answered', async () => {
    const s = await start();
    const r = await s.call({ state: 'Ring', script: [pressAfter(MENU, '1', 10)] });
    expect(requestsOf(s, r.handle.id).slice(0, 2)).toEqual(['POST /answer', 'POST /play']);
    expect(s.emu.channel(r.handle.id)!.state).toBe('Up');
    const change = s.emu.events.find((e) => e.event.type === 'ChannelStateChange' && e.channelId === r.handle.id);
    expect((change?.event.channel as { state?: string } | undefined)?.state).toBe('Up');
    expect(r.events[0]!.data).toMatchObject({ answer: 'answered' });
    expect(r.vars.CONSENT_RECORDING).toBe('yes');
  });

  it('a channel already up is not answered again (one request fewer)', async () => {
    const s = await start();
    const r = await s.call({ state: 'Up', script: [pressAfter(MENU, '1', 10)] });
    expect(requestsOf(s, r.handle.id)).not.toContain('POST /answer');
    expect(r.events[0]!.data).toMatchObject({ answer: 'already_up' });
  });

  it('answer: false plays the notice as early media on the ringing channel, and the ledger says not answered', async () => {
    const s = await start({ flow: { answer: false } });
    const r = await s.call({ state: 'Ring', script: [pressAfter(MENU, '1', 10)] });
    expect(requestsOf(s, r.handle.id)).not.toContain('POST /answer');
    expect(s.emu.channel(r.handle.id)!.state).toBe('Ring');
    expect(r.events[0]!.data).toMatchObject({ answer: 'not_answered' });
    expect(r.vars.CONSENT_RECORDING).toBe('yes');
  });

  it('an answer Asterisk refuses (500) sends the caller to the fallback, unrecorded, without playing anything', async () => {
    const s = await start();
    s.emu.failNext({ method: 'POST', path: '/channels/*/answer' }, 500);
    const r = await s.call({ state: 'Ring' });
    expect(r.outcome).toMatchObject({ kind: 'continued', target: FALLBACK });
    expect(r.vars.CONSENT_RECORDING).toBe('no');
    expect(r.kinds).toEqual(['call.started', 'call.failed']);
    expect(r.events[0]!.data).toMatchObject({ answer: 'answer_failed' });
    expect(r.events[1]!.data).toMatchObject({ reason: 'ari_http_500' });
  });

  it('a caller gone before the answer (404) is an abandoned call', async () => {
    const s = await start();
    s.emu.failNext({ method: 'POST', path: '/channels/*/answer' }, 404, { message: 'Channel not found' });
    const handle = s.emu.originate({ callerNumber: '+48600100200', state: 'Ring' });
    await s.emu.waitFor(() => s.emu.requests.some((q) => q.path.endsWith('/answer')));
    handle.hangup();
    await s.service.calls.drain();
    const events = await eventsOfChannel(s.service, handle.id);
    expect(events.map((e) => e.kind)).toEqual(['call.started', 'call.abandoned']);
  });
});
