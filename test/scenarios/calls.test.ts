import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hangUpDuring, pressAfter, pressDuring } from '../emulators/ari/emulator.js';
import { promptsPlayed, startScenario } from './harness.js';

type Scenario = Awaited<ReturnType<typeof startScenario>>;
let s: Scenario;
beforeAll(async () => {
  s = await startScenario({ flow: { marketing: { controller: 'ACME Polska Sp. z o.o., ul. Prosta 1, Warszawa', channels: ['phone', 'email'], enabled: false } } });
});
afterAll(async () => s.stop());

const N = 'consentline/notice';
const MENU = 'consentline/menu';

describe('calls through the real ARI adapter and the ARI emulator', () => {
  it('notice then continue: variables, route, exact evidence, chain verifies', async () => {
    const r = await s.call({ script: [pressAfter(MENU, '1', 50)] });
    expect(r.outcome).toEqual({ kind: 'continued', target: { context: 'consentline-after', extension: 'sales', priority: 1 }, dropped: false });
    expect(r.vars).toMatchObject({ CONSENT_RECORDING: 'yes', CONSENT_MARKETING: 'none', CONSENT_LANG: 'pl' });
    expect(r.vars.CONSENT_ID).toBe(r.events[0]!.callId);
    expect(r.kinds).toEqual(['call.started', 'prompt.played', 'prompt.played', 'consent.recording', 'call.continued']);
    expect(promptsPlayed(r.events)).toEqual(['notice:completed', 'menu:completed']);
    const notice = r.events[1]!.data;
    expect(notice).toMatchObject({ promptId: 'notice', lang: 'pl', playback: 'completed' });
    expect(notice.audioSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(r.events[0]!.data).toMatchObject({ flowId: 'hotline', legalBasis: 'consent_by_conduct', did: '221234567' });
    // The raw number never enters the chain: only the salted commitment does.
    expect(JSON.stringify(r.events)).not.toContain('600100200');
    expect(await s.service.store.verify()).toMatchObject({ ok: true });
  });

  it('hang-up during the notice: abandoned, nothing set, no continue', async () => {
    const r = await s.call({ script: [hangUpDuring(N, 40)] });
    expect(r.outcome).toMatchObject({ kind: 'hungup', by: 'caller' });
    expect(r.vars.CONSENT_RECORDING).toBeUndefined();
    expect(r.kinds).toEqual(['call.started', 'prompt.played', 'call.abandoned']);
    expect(promptsPlayed(r.events)).toEqual(['notice:hangup']);
    expect(r.events[2]!.data).toEqual({ step: 'notice' });
  });

  it('objection: confirmed, continues unrecorded to the default route', async () => {
    const r = await s.call({ script: [pressDuring(MENU, '9', 30)] });
    expect(r.outcome).toMatchObject({ kind: 'continued', target: { extension: 'agents' } });
    expect(r.vars).toMatchObject({ CONSENT_RECORDING: 'no', CONSENT_MARKETING: 'none' });
    expect(r.kinds).toEqual(['call.started', 'prompt.played', 'prompt.played', 'objection.made', 'consent.recording', 'prompt.played', 'call.continued']);
    expect(promptsPlayed(r.events)).toEqual(['notice:completed', 'menu:interrupted', 'objection-confirmed:completed']);
    expect(r.events.at(-1)!.data).toMatchObject({ outcome: 'objected', recording: 'no' });
  });

  it('clause then continue: the clause is heard in full, then the menu again', async () => {
    const r = await s.call({ script: [pressAfter(MENU, '8', 20), pressAfter('consentline/clause', '1', 20)] });
    // The second "1" goes to the menu replayed after the clause (type-ahead is fine).
    expect(r.outcome).toMatchObject({ kind: 'continued', target: { extension: 'sales' } });
    expect(promptsPlayed(r.events)).toEqual(['notice:completed', 'menu:completed', 'clause:completed', 'menu:interrupted']);
    expect(r.events.find((e) => e.kind === 'clause.listened')!.data).toEqual({ completed: true, lang: 'pl' });
    expect(r.vars.CONSENT_RECORDING).toBe('yes');
  });

  it('hang-up during the clause: abandoned in the clause step', async () => {
    const r = await s.call({ script: [pressAfter(MENU, '8', 20), hangUpDuring('consentline/clause', 30)] });
    expect(r.outcome).toMatchObject({ kind: 'hungup' });
    expect(r.kinds.at(-1)).toBe('call.abandoned');
    expect(r.events.at(-1)!.data).toEqual({ step: 'clause' });
  });

  it('an invalid key, then silence: re-prompted once, then the default route', async () => {
    const r = await s.call({ script: [pressAfter(MENU, '7', 20)] });
    expect(r.outcome).toMatchObject({ kind: 'continued', target: { extension: 'agents' } });
    expect(r.kinds.filter((k) => k.startsWith('menu.'))).toEqual(['menu.invalid', 'menu.timeout']);
    expect(promptsPlayed(r.events)).toEqual(['notice:completed', 'menu:completed', 'invalid:completed', 'menu:completed']);
    expect(r.vars.CONSENT_RECORDING).toBe('yes');
  });

  it('keys pressed during the notice are not barge-in: the notice plays to its end', async () => {
    const r = await s.call({ script: [pressDuring(N, '9', 20), pressAfter(MENU, '1', 20)] });
    expect(promptsPlayed(r.events)[0]).toBe('notice:completed');
    expect(r.events[1]!.data.ignoredDigits).toEqual(['9']);
    expect(r.vars.CONSENT_RECORDING).toBe('yes');
  });

  it('the caller number is minimised: masked for display, keyed hash for look-up', async () => {
    const r = await s.call({ script: [pressAfter(MENU, '1', 20)] });
    const summary = await s.service.store.getCall(r.events[0]!.callId!);
    expect(summary).toMatchObject({ callerMasked: '+48 *** *** *00', outcome: 'continued', recording: 'yes' });
    expect(summary!.callerLookup).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(s.logs)).not.toContain('600100200');
  });
});
