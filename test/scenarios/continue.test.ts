import { describe, expect, it } from 'vitest';
import { pressAfter } from '../emulators/ari/emulator.js';
import { eventsOfChannel, scenarioPerTest } from './harness.js';

/** Issue 18 defect 5: no caller stranded in Stasis because a continue went unanswered. */
const start = scenarioPerTest();
const MENU = 'consentline/menu';
const FALLBACK = { context: 'consentline-fallback', extension: 's', priority: 1 };

describe('continue under overload', () => {
  it('a fallback continue that times out is retried: the caller still reaches the fallback route, unrecorded', async () => {
    const s = await start();
    s.emu.failNext({ method: 'POST', path: '/channels/*/play' }, 500);
    s.emu.hangNext({ method: 'POST', path: '/channels/*/continue', times: 2 });
    const handle = s.emu.originate({ callerNumber: '+48600100200' });
    await s.emu.waitFor(() => handle.continuedTo !== null, { what: 'the caller leaving Stasis', timeoutMs: 10_000 });
    await s.service.calls.drain();
    expect(handle.continuedTo).toEqual(FALLBACK);
    expect(handle.variables().CONSENT_RECORDING).toBe('no');
    expect(s.emu.requests.filter((q) => q.path.endsWith('/continue')).map((q) => q.status)).toEqual(['hang', 'hang', 204]);
  });

  it('a normal continue that times out is retried, not turned into a fail-over: the caller reaches the route chosen', async () => {
    const s = await start();
    s.emu.hangNext({ method: 'POST', path: '/channels/*/continue' });
    const r = await s.call({ script: [pressAfter(MENU, '1', 20)] });
    expect(r.outcome).toMatchObject({ kind: 'continued', target: { extension: 'sales' } });
    expect(r.vars.CONSENT_RECORDING).toBe('yes');
    expect(r.kinds.at(-1)).toBe('call.continued');
    expect(r.kinds).not.toContain('call.failed');
  });

  it('/metrics: channels in Stasis as Asterisk sees them, beside the service’s own active calls', async () => {
    const s = await start({ emulator: { playbackMs: { 'consentline/notice': 5000 } } });
    const gauge = async (name: string) => (await s.service.metrics.registry.getSingleMetric(name)!.get()).values.map((v) => [v.labels.server ?? '', v.value]);
    const calls = [1, 2, 3].map(() => s.emu.originate({ callerNumber: '+48600100200' }));
    await s.emu.waitFor(() => s.service.calls.activeCalls === 3, { what: 'three calls in the flow' });
    expect(await gauge('consentline_asterisk_stasis_channels')).toEqual([['asterisk-1', 3]]);
    expect(await gauge('consentline_active_calls')).toEqual([['', 3]]);
    for (const c of calls) c.hangup();
    await s.service.calls.drain();
    expect(await gauge('consentline_asterisk_stasis_channels')).toEqual([['asterisk-1', 0]]);
    // Asterisk unreachable: no figure rather than a stale one.
    await s.emu.close();
    expect(await gauge('consentline_asterisk_stasis_channels')).toEqual([]);
    const events = await eventsOfChannel(s.service, calls[0]!.id);
    expect(events.at(-1)!.kind).toBe('call.abandoned');
  });
});
