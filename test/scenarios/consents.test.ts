import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pressAfter } from '../emulators/ari/emulator.js';
import { promptsPlayed, startScenario } from './harness.js';

type Scenario = Awaited<ReturnType<typeof startScenario>>;
const MENU = 'consentline/menu';
const MARKETING = 'consentline/marketing-consent';
const CONTROLLER = 'ACME Polska Spółka z ograniczoną odpowiedzialnością, ul. Prosta 1, 00-001 Warszawa';

describe('marketing consent and language choice', () => {
  let s: Scenario;
  beforeAll(async () => {
    s = await startScenario({
      flow: {
        languages: { default: 'pl', offered: ['pl', 'en'], choice: { '1': 'pl', '2': 'en' } },
        marketing: { controller: CONTROLLER, channels: ['phone', 'sms', 'email'] },
      },
    });
  });
  afterAll(async () => s.stop());

  it.each([
    ['1', 'yes'],
    ['2', 'no'],
  ])('marketing key %s → CONSENT_MARKETING=%s, the evidence names the controller', async (digit, answer) => {
    const r = await s.call({ script: [pressAfter('consentline/lang-choice', '1', 10), pressAfter(MENU, '1', 10), pressAfter(MARKETING, digit, 10)] });
    expect(r.vars).toMatchObject({ CONSENT_MARKETING: answer, CONSENT_RECORDING: 'yes', CONSENT_LANG: 'pl' });
    const m = r.events.find((e) => e.kind === 'consent.marketing')!;
    expect(m.data).toEqual({ decision: answer, controller: CONTROLLER, channels: ['phone', 'sms', 'email'], digit, lang: 'pl' });
  });

  it('no answer to the marketing question → CONSENT_MARKETING=none after the retry', async () => {
    const r = await s.call({ script: [pressAfter('consentline/lang-choice', '1', 10), pressAfter(MENU, '1', 10)] });
    expect(r.vars).toMatchObject({ CONSENT_MARKETING: 'none', CONSENT_RECORDING: 'yes' });
    expect(promptsPlayed(r.events).filter((p) => p.startsWith('marketing-consent'))).toHaveLength(2);
  });

  it('language choice: key 2 → the English prompts, CONSENT_LANG=en', async () => {
    const r = await s.call({ script: [pressAfter('consentline/lang-choice', '2', 10), pressAfter(MENU, '9', 10)] });
    expect(r.vars).toMatchObject({ CONSENT_LANG: 'en', CONSENT_RECORDING: 'no' });
    const plays = s.emu.requests.filter((q) => q.path === `/channels/${r.handle.id}/play`).map((q) => q.query.lang);
    // The language question, then the notice and the menu as one playback, then the objection's confirmation.
    expect(plays).toEqual(['pl', 'en', 'en']);
    expect(r.events.find((e) => e.kind === 'language.chosen')!.data).toEqual({ lang: 'en', how: 'dtmf', digit: '2' });
    const notice = r.events.find((e) => e.kind === 'prompt.played' && e.data.promptId === 'notice')!;
    expect(notice.data.lang).toBe('en');
  });
});

describe('explicit consent flow', () => {
  let s: Scenario;
  beforeAll(async () => {
    s = await startScenario({ flow: { legalBasis: 'explicit_consent' } });
  });
  afterAll(async () => s.stop());

  it('agree key → recorded; the evidence records the basis and the key', async () => {
    const r = await s.call({ script: [pressAfter(MENU, '1', 10), pressAfter('consentline/recording-consent', '1', 10)] });
    expect(r.vars.CONSENT_RECORDING).toBe('yes');
    expect(r.events.find((e) => e.kind === 'consent.recording')!.data).toEqual({ decision: 'granted', legalBasis: 'explicit_consent', how: 'dtmf', digit: '1' });
  });

  it('silence → served, unrecorded', async () => {
    const r = await s.call({ script: [pressAfter(MENU, '1', 10)] });
    expect(r.outcome).toMatchObject({ kind: 'continued', target: { extension: 'sales' } });
    expect(r.vars.CONSENT_RECORDING).toBe('no');
    expect(r.events.find((e) => e.kind === 'consent.recording')!.data).toMatchObject({ decision: 'no_answer' });
  });
});

describe('do-not-record list', () => {
  let s: Scenario;
  beforeAll(async () => {
    s = await startScenario({ top: { recordings: { enabled: false, doNotRecord: ['+48600999888', '+48221234567'] } } });
  });
  afterAll(async () => s.stop());

  it('a listed caller goes on unrecorded; the ledger says why', async () => {
    const r = await s.call({ callerNumber: '+48600999888', exten: '229999999', script: [pressAfter(MENU, '1', 10)] });
    expect(r.vars.CONSENT_RECORDING).toBe('no');
    expect(r.events.find((e) => e.kind === 'consent.recording')!.data).toMatchObject({ decision: 'refused', how: 'do_not_record_list' });
    expect(JSON.stringify(r.events)).not.toContain('600999888');
  });

  it('a call to a listed number (the DID) goes on unrecorded', async () => {
    const r = await s.call({ callerNumber: '+48600100200', exten: '221234567', script: [pressAfter(MENU, '1', 10)] });
    expect(r.vars.CONSENT_RECORDING).toBe('no');
  });

  it('anyone else is recorded as usual', async () => {
    const r = await s.call({ callerNumber: '+48600100200', exten: '229999999', script: [pressAfter(MENU, '1', 10)] });
    expect(r.vars.CONSENT_RECORDING).toBe('yes');
  });
});
