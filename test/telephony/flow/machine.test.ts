import { describe, expect, it } from 'vitest';
import { runFlow } from '../../../src/telephony/flow/machine.js';
import { flowConfig, scriptedContext, type Scripted } from './fake-flow.js';

const notice: Scripted = { prompt: 'notice', status: 'finished' };

async function run(overrides: Parameters<typeof flowConfig>[0], script: Scripted[]) {
  const t = scriptedContext(flowConfig(overrides), script);
  const end = await runFlow(t.ctx);
  expect(t.remaining(), 'every scripted prompt was played').toBe(0);
  return { end, ...t, kinds: t.events.map((e) => e.kind).filter((k) => k !== 'prompt.played') };
}

describe('call flow: consent by conduct', () => {
  it('notice heard, key 1 → continued to that route, recording on', async () => {
    const r = await run({}, [notice, { prompt: 'menu', status: 'digit', digit: '1' }]);
    expect(r.end).toEqual({ outcome: 'continued', route: 'sales', recording: true, marketing: 'none' });
    expect(r.kinds).toEqual(['consent.recording']);
    expect(r.events.find((e) => e.kind === 'consent.recording')?.data).toMatchObject({ decision: 'granted', how: 'conduct' });
  });

  it('hang-up during the notice → abandoned, no consent recorded', async () => {
    const r = await run({}, [{ prompt: 'notice', status: 'hangup' }]);
    expect(r.end).toEqual({ outcome: 'abandoned', step: 'notice' });
    expect(r.kinds).toEqual([]);
  });

  it('objection key → confirmation, objected, recording off, default route', async () => {
    const r = await run({}, [notice, { prompt: 'menu', status: 'digit', digit: '9' }, { prompt: 'objection-confirmed', status: 'finished' }]);
    expect(r.end).toEqual({ outcome: 'objected', route: 'agents', recording: false, marketing: 'none' });
    expect(r.kinds).toEqual(['objection.made', 'consent.recording']);
  });

  it('clause branch then back to the menu, then continue', async () => {
    const r = await run({}, [
      notice,
      { prompt: 'menu', status: 'digit', digit: '8' },
      { prompt: 'clause', status: 'finished' },
      { prompt: 'menu', status: 'digit', digit: '1' },
    ]);
    expect(r.end).toMatchObject({ outcome: 'continued', recording: true });
    expect(r.kinds).toEqual(['clause.listened', 'consent.recording']);
    expect(r.events.find((e) => e.kind === 'clause.listened')?.data).toMatchObject({ completed: true });
  });

  it('a key during the clause returns to the menu and says the clause was cut short', async () => {
    const r = await run({}, [
      notice,
      { prompt: 'menu', status: 'digit', digit: '8' },
      { prompt: 'clause', status: 'digit', digit: '5' },
      { prompt: 'menu', status: 'digit', digit: '9' },
      { prompt: 'objection-confirmed', status: 'finished' },
    ]);
    expect(r.end.outcome).toBe('objected');
    expect(r.events.find((e) => e.kind === 'clause.listened')?.data).toMatchObject({ completed: false });
  });

  it('hang-up during the clause → abandoned in the clause step', async () => {
    const r = await run({}, [notice, { prompt: 'menu', status: 'digit', digit: '8' }, { prompt: 'clause', status: 'hangup' }]);
    expect(r.end).toEqual({ outcome: 'abandoned', step: 'clause' });
  });

  it('invalid keys and silence re-prompt a bounded number of times, then the default route', async () => {
    const r = await run({ retries: { menu: 2, question: 1 } }, [
      notice,
      { prompt: 'menu', status: 'digit', digit: '7' },
      { prompt: 'invalid', status: 'finished' },
      { prompt: 'menu', status: 'timeout' },
      { prompt: 'menu', status: 'timeout' },
    ]);
    expect(r.end).toEqual({ outcome: 'continued', route: 'agents', recording: true, marketing: 'none' });
    expect(r.kinds).toEqual(['menu.invalid', 'menu.timeout', 'menu.timeout', 'consent.recording']);
  });

  it('a key pressed during the "invalid key" prompt answers the menu: 7, then 9 → objection, not consent by conduct', async () => {
    const r = await run({}, [
      notice,
      { prompt: 'menu', status: 'digit', digit: '7' },
      { prompt: 'invalid', status: 'digit', digit: '9' },
      { prompt: 'objection-confirmed', status: 'finished' },
    ]);
    expect(r.end).toEqual({ outcome: 'objected', route: 'agents', recording: false, marketing: 'none' });
    expect(r.kinds).toEqual(['menu.invalid', 'objection.made', 'consent.recording']);
  });

  it('another invalid key during the "invalid key" prompt uses up an attempt like any invalid key', async () => {
    const r = await run({ retries: { menu: 1, question: 1 } }, [
      notice,
      { prompt: 'menu', status: 'digit', digit: '7' },
      { prompt: 'invalid', status: 'digit', digit: '6' },
    ]);
    expect(r.end).toMatchObject({ outcome: 'continued', route: 'agents' });
    expect(r.events.filter((e) => e.kind === 'menu.invalid').map((e) => e.data.digit)).toEqual(['7', '6']);
  });

  it('a menu key pressed during the clause is the menu choice (objection without hearing the menu again)', async () => {
    const r = await run({}, [
      notice,
      { prompt: 'menu', status: 'digit', digit: '8' },
      { prompt: 'clause', status: 'digit', digit: '9' },
      { prompt: 'objection-confirmed', status: 'finished' },
    ]);
    expect(r.end.outcome).toBe('objected');
    expect(r.kinds).toEqual(['clause.listened', 'objection.made', 'consent.recording']);
  });

  it('repeat key replays the menu without using up an attempt', async () => {
    const r = await run({ retries: { menu: 0, question: 1 } }, [
      notice,
      { prompt: 'menu', status: 'digit', digit: '0' },
      { prompt: 'menu', status: 'digit', digit: '0' },
      { prompt: 'menu', status: 'digit', digit: '1' },
    ]);
    expect(r.end).toMatchObject({ outcome: 'continued', route: 'sales' });
  });

  it('a prompt that cannot play → failed (the session sends the call to the fallback unrecorded)', async () => {
    const r = await run({}, [{ prompt: 'notice', status: 'failed' }]);
    expect(r.end).toEqual({ outcome: 'failed', step: 'notice', reason: 'prompt_failed:notice' });
  });

  it('link lost during the notice replays it: consent rests only on a notice seen to its end', async () => {
    const r = await run({}, [{ prompt: 'notice', status: 'link_lost' }, notice, { prompt: 'menu', status: 'digit', digit: '1' }]);
    expect(r.end).toMatchObject({ outcome: 'continued', recording: true });
  });

  it('a notice cut short by barge-in does not count as consent by conduct', async () => {
    const r = await run({ noticeBargeIn: true }, [
      { prompt: 'notice', status: 'digit', digit: '1' },
      { prompt: 'menu', status: 'digit', digit: '1' },
    ]);
    expect(r.end).toMatchObject({ outcome: 'continued', recording: false });
    expect(r.events.find((e) => e.kind === 'consent.recording')?.data).toMatchObject({ decision: 'refused', how: 'notice_not_completed' });
  });
});

describe('call flow: explicit consent', () => {
  const explicit = { legalBasis: 'explicit_consent' };

  it('agree key → recording on', async () => {
    const r = await run(explicit, [notice, { prompt: 'menu', status: 'digit', digit: '1' }, { prompt: 'recording-consent', status: 'digit', digit: '1' }]);
    expect(r.end).toMatchObject({ outcome: 'continued', recording: true });
    expect(r.events.find((e) => e.kind === 'consent.recording')?.data).toMatchObject({ decision: 'granted', how: 'dtmf', digit: '1' });
  });

  it('refuse key → served unrecorded', async () => {
    const r = await run(explicit, [notice, { prompt: 'menu', status: 'digit', digit: '1' }, { prompt: 'recording-consent', status: 'digit', digit: '2' }]);
    expect(r.end).toEqual({ outcome: 'continued', route: 'sales', recording: false, marketing: 'none' });
  });

  it('no answer after the retries → served unrecorded', async () => {
    const r = await run(explicit, [
      notice,
      { prompt: 'menu', status: 'digit', digit: '1' },
      { prompt: 'recording-consent', status: 'timeout' },
      { prompt: 'recording-consent', status: 'digit', digit: '7' },
    ]);
    expect(r.end).toMatchObject({ outcome: 'continued', recording: false });
    expect(r.events.find((e) => e.kind === 'consent.recording')?.data).toMatchObject({ decision: 'no_answer' });
  });
});

describe('call flow: legitimate interest', () => {
  it('records the basis, recording on after the notice, objection still possible', async () => {
    const r = await run({ legalBasis: 'legitimate_interest' }, [notice, { prompt: 'menu', status: 'digit', digit: '1' }]);
    expect(r.end).toMatchObject({ outcome: 'continued', recording: true });
    expect(r.events.find((e) => e.kind === 'consent.recording')?.data).toMatchObject({ legalBasis: 'legitimate_interest' });
  });
});

describe('call flow: marketing consent', () => {
  const marketing = { marketing: { controller: 'ACME Polska Sp. z o.o.', channels: ['phone', 'sms'] } };
  const upToMarketing: Scripted[] = [notice, { prompt: 'menu', status: 'digit', digit: '1' }];

  it.each([
    ['1', 'yes'],
    ['2', 'no'],
  ])('key %s → marketing %s, naming the controller in the evidence', async (digit, decision) => {
    const r = await run(marketing, [...upToMarketing, { prompt: 'marketing-consent', status: 'digit', digit }]);
    expect(r.end).toMatchObject({ outcome: 'continued', marketing: decision });
    expect(r.events.find((e) => e.kind === 'consent.marketing')?.data).toMatchObject({
      decision,
      controller: 'ACME Polska Sp. z o.o.',
      channels: ['phone', 'sms'],
    });
  });

  it('no input → marketing none', async () => {
    const r = await run(marketing, [
      ...upToMarketing,
      { prompt: 'marketing-consent', status: 'timeout' },
      { prompt: 'marketing-consent', status: 'timeout' },
    ]);
    expect(r.end).toMatchObject({ outcome: 'continued', marketing: 'none', recording: true });
  });

  it('hang-up at the marketing question → abandoned there', async () => {
    const r = await run(marketing, [...upToMarketing, { prompt: 'marketing-consent', status: 'hangup' }]);
    expect(r.end).toEqual({ outcome: 'abandoned', step: 'marketing' });
  });
});

describe('call flow: language choice', () => {
  const choice = { languages: { default: 'pl', offered: ['pl', 'en'], choice: { '1': 'pl', '2': 'en' } } };

  it('key 2 → English for the rest of the call', async () => {
    const t = scriptedContext(flowConfig(choice), [
      { prompt: 'lang-choice', status: 'digit', digit: '2' },
      notice,
      { prompt: 'menu', status: 'digit', digit: '1' },
    ]);
    await runFlow(t.ctx);
    expect(t.ctx.lang).toBe('en');
    expect(t.events.find((e) => e.kind === 'language.chosen')?.data).toMatchObject({ lang: 'en', how: 'dtmf' });
  });

  it('no key → the default language', async () => {
    const t = scriptedContext(flowConfig(choice), [
      { prompt: 'lang-choice', status: 'timeout' },
      { prompt: 'lang-choice', status: 'timeout' },
      notice,
      { prompt: 'menu', status: 'digit', digit: '1' },
    ]);
    await runFlow(t.ctx);
    expect(t.ctx.lang).toBe('pl');
    expect(t.events.find((e) => e.kind === 'language.chosen')?.data).toMatchObject({ lang: 'pl', how: 'default' });
  });
});

describe('call flow: do-not-record list', () => {
  it.each(['consent_by_conduct', 'explicit_consent'])('%s: a listed number is never recorded, and the evidence says why', async (legalBasis) => {
    const t = scriptedContext(flowConfig({ legalBasis }), [notice, { prompt: 'menu', status: 'digit', digit: '1' }], { doNotRecord: true });
    const end = await runFlow(t.ctx);
    expect(end).toEqual({ outcome: 'continued', route: 'sales', recording: false, marketing: 'none' });
    expect(t.events.find((e) => e.kind === 'consent.recording')?.data).toMatchObject({ decision: 'refused', how: 'do_not_record_list' });
  });
});

describe('call flow: step hooks (for the step-duration metric)', () => {
  it('each step is heard when it starts and again when it is done, in order', async () => {
    const t = scriptedContext(flowConfig({}), [notice, { prompt: 'menu', status: 'digit', digit: '1' }]);
    const heard: string[] = [];
    await runFlow(t.ctx, (s) => heard.push(`start ${s}`), (s) => heard.push(`done ${s}`));
    expect(heard).toEqual(['start language', 'done language', 'start notice', 'done notice', 'start menu', 'done menu', 'start recordingConsent', 'done recordingConsent', 'start marketing', 'done marketing']);
  });

  it('a step that throws is still reported done before the fault propagates', async () => {
    const t = scriptedContext(flowConfig({}), []);
    const ctx = { ...t.ctx, prompt: async () => Promise.reject(new Error('channel gone')) };
    const heard: string[] = [];
    await expect(runFlow(ctx, (s) => heard.push(`start ${s}`), (s) => heard.push(`done ${s}`))).rejects.toThrow('channel gone');
    expect(heard).toEqual(['start language', 'done language', 'start notice', 'done notice']);
  });
});
