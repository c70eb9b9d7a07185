import { describe, expect, it } from 'vitest';
import { pressAfter, pressDuring } from '../emulators/ari/emulator.js';
import { promptsPlayed, scenarioPerTest } from './harness.js';

/** Keys pressed during any prompt that waits for a choice count (issue 18, defect 3). */
const start = scenarioPerTest();

const MENU = 'consentline/menu';
const LONG = { playbackMs: { 'consentline/invalid': 600, 'consentline/clause': 600 } };

describe('a key pressed while a prompt plays counts wherever the flow waits for a choice', () => {
  it('7 (invalid), then 9 during the "invalid key" prompt, then silence → objection, CONSENT_RECORDING=no', async () => {
    const s = await start({ emulator: LONG });
    const r = await s.call({ script: [pressAfter(MENU, '7', 20), pressDuring('consentline/invalid', '9', 100)] });
    expect(r.outcome).toMatchObject({ kind: 'continued', target: { extension: 'agents' } });
    expect(r.vars).toMatchObject({ CONSENT_RECORDING: 'no' });
    expect(promptsPlayed(r.events)).toEqual(['notice:completed', 'menu:completed', 'invalid:interrupted', 'objection-confirmed:completed']);
    expect(r.kinds).toContain('objection.made');
    expect(r.events.find((e) => e.kind === 'consent.recording')!.data).toMatchObject({ decision: 'objected' });
    expect(r.events.at(-1)!.data).toMatchObject({ outcome: 'objected', recording: 'no' });
  });

  it('silence (timeout), then 9 during the replayed menu → objection', async () => {
    const s = await start({ emulator: { playbackMs: { [MENU]: 600 } } });
    // Menu 0-600 ms, the 400 ms wait for a key, the menu again from ~1000 ms: the key lands in the replay.
    const r = await s.call({ script: [pressDuring(MENU, '9', 1250)] });
    expect(r.vars.CONSENT_RECORDING).toBe('no');
    expect(r.kinds).toContain('menu.timeout');
    expect(promptsPlayed(r.events)).toEqual(['notice:completed', 'menu:completed', 'menu:interrupted', 'objection-confirmed:completed']);
  });

  it('9 during the clause → objection, without hearing the menu again', async () => {
    const s = await start({ emulator: LONG });
    const r = await s.call({ script: [pressAfter(MENU, '8', 20), pressDuring('consentline/clause', '9', 100)] });
    expect(r.vars.CONSENT_RECORDING).toBe('no');
    expect(promptsPlayed(r.events)).toEqual(['notice:completed', 'menu:completed', 'clause:interrupted', 'objection-confirmed:completed']);
  });

  // Both keys are timed from the first play of the question: the wrong one cuts it short, the right one lands in the repeat.
  it('explicit consent: a wrong key, then the agree key during the repeated question → granted', async () => {
    const s = await start({ flow: { legalBasis: 'explicit_consent' }, emulator: { playbackMs: { 'consentline/recording-consent': 600 } } });
    const Q = 'consentline/recording-consent';
    const r = await s.call({ script: [pressAfter(MENU, '1', 10), pressDuring(Q, '5', 100), pressDuring(Q, '1', 400)] });
    expect(r.vars.CONSENT_RECORDING).toBe('yes');
    expect(r.events.find((e) => e.kind === 'consent.recording')!.data).toMatchObject({ decision: 'granted', digit: '1' });
  });

  it('marketing: a wrong key, then the no key during the repeated question → CONSENT_MARKETING=no', async () => {
    const M = 'consentline/marketing-consent';
    const s = await start({
      flow: { marketing: { controller: 'ACME Polska Sp. z o.o.', channels: ['phone'] } },
      emulator: { playbackMs: { [M]: 600 } },
    });
    const r = await s.call({ script: [pressAfter(MENU, '1', 10), pressDuring(M, '7', 100), pressDuring(M, '2', 400)] });
    expect(r.vars.CONSENT_MARKETING).toBe('no');
    expect(r.events.find((e) => e.kind === 'consent.marketing')!.data).toMatchObject({ decision: 'no', digit: '2' });
  });

  it('language menu: a wrong key, then 2 during the repeated question → English', async () => {
    const L = 'consentline/lang-choice';
    const s = await start({
      flow: { languages: { default: 'pl', offered: ['pl', 'en'], choice: { '1': 'pl', '2': 'en' } } },
      emulator: { playbackMs: { [L]: 600 } },
    });
    const r = await s.call({ script: [pressDuring(L, '7', 100), pressDuring(L, '2', 400), pressAfter(MENU, '1', 10)] });
    expect(r.vars.CONSENT_LANG).toBe('en');
    expect(r.events.find((e) => e.kind === 'language.chosen')!.data).toEqual({ lang: 'en', how: 'dtmf', digit: '2' });
  });
});
