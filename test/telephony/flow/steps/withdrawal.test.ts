import { describe, expect, it } from 'vitest';
import { runFlow } from '../../../../src/telephony/flow/machine.js';
import { datePieces, recordingsCountPiece } from '../../../../src/telephony/flow/spoken.js';
import type { ConsentsOnFile, WithdrawableConsent, WithdrawalDesk } from '../../../../src/telephony/flow/types.js';
import { flowConfig, scriptedContext, type Scripted } from '../fake-flow.js';

/** A desk with a fixed file that remembers what was withdrawn. */
function desk(file: ConsentsOnFile | null) {
  const withdrawn: Array<{ consent: WithdrawableConsent; digit: string }> = [];
  const d: WithdrawalDesk = {
    onFile: async () => file,
    withdraw: async (consent, digit) => void withdrawn.push({ consent, digit }),
  };
  return { d, withdrawn };
}

const say = (...ids: string[]): Scripted[] => ids.map((prompt) => ({ prompt, status: 'finished' }));
const key = (prompt: string, digit: string): Scripted => ({ prompt, status: 'digit', digit });
const DEDICATED = { withdrawal: { dedicated: true }, menu: undefined };
const MARKETING: ConsentsOnFile['marketing'] = { since: '2026-12-06T23:30:00.000Z', controller: 'ACME', channels: ['phone', 'sms'] };

async function run(overrides: Parameters<typeof flowConfig>[0], file: ConsentsOnFile | null, script: Scripted[]) {
  const w = desk(file);
  const t = scriptedContext(flowConfig(overrides), script, { withdrawals: w.d });
  const end = await runFlow(t.ctx);
  expect(t.remaining(), 'every scripted prompt was played').toBe(0);
  return { end, withdrawn: w.withdrawn, ...t };
}

describe('withdrawal by phone: the spoken pieces', () => {
  it('says a date in the configured time zone, day-month-year; a year outside the recorded ones is left out', () => {
    // 23:30 UTC on 6 December is already 7 December in Warsaw.
    expect(datePieces('2026-12-06T23:30:00.000Z', 'Europe/Warsaw')).toEqual(['date-day-7', 'date-month-12', 'date-year-2026']);
    expect(datePieces('2026-12-06T23:30:00.000Z', 'UTC')).toEqual(['date-day-6', 'date-month-12', 'date-year-2026']);
    expect(datePieces('2099-01-31T12:00:00.000Z', 'UTC')).toEqual(['date-day-31', 'date-month-1']);
  });

  it('says counts up to nine as a phrase, more as "ten or more"', () => {
    expect(recordingsCountPiece(1)).toBe('count-recordings-1');
    expect(recordingsCountPiece(9)).toBe('count-recordings-9');
    expect(recordingsCountPiece(10)).toBe('count-recordings-many');
  });
});

describe('withdrawal by phone: a dedicated line', () => {
  it('a withheld number hears why, and the other ways; goodbye, continued unrecorded, nothing withdrawn', async () => {
    const r = await run(DEDICATED, null, say('withdraw-intro', 'withdraw-no-number', 'withdraw-other-ways', 'goodbye'));
    expect(r.end).toEqual({ outcome: 'continued', route: 'agents', recording: false, marketing: 'none' });
    expect(r.withdrawn).toEqual([]);
  });

  it('nothing on file: says so and the other ways', async () => {
    const r = await run(DEDICATED, { marketing: null, recordings: { onConsent: 0, onInterest: 0 } }, say('withdraw-intro', 'withdraw-nothing', 'withdraw-other-ways', 'goodbye'));
    expect(r.end).toMatchObject({ outcome: 'continued', recording: false });
  });

  it('hears the marketing consent (date, channels) and the recordings, withdraws marketing with 1, keeps recording with 2', async () => {
    const r = await run(DEDICATED, { marketing: MARKETING, recordings: { onConsent: 3, onInterest: 1 } }, [
      ...say('withdraw-intro', 'withdraw-marketing-given', 'date-day-7', 'date-month-12', 'date-year-2026', 'withdraw-channels', 'channel-phone', 'channel-sms'),
      key('withdraw-marketing-confirm', '1'),
      ...say('withdraw-marketing-done', 'withdraw-recordings-consent', 'count-recordings-3', 'withdraw-recordings-interest', 'count-recordings-1'),
      key('withdraw-recording-confirm', '2'),
      ...say('withdraw-kept', 'goodbye'),
    ]);
    expect(r.withdrawn).toEqual([{ consent: 'marketing', digit: '1' }]);
    expect(r.end).toEqual({ outcome: 'continued', route: 'agents', recording: false, marketing: 'no' });
  });

  it('a recording withdrawal with recordings on legitimate interest also says the objection goes to the DPO', async () => {
    const r = await run(DEDICATED, { marketing: null, recordings: { onConsent: 0, onInterest: 12 } }, [
      ...say('withdraw-intro', 'withdraw-recordings-interest', 'count-recordings-many'),
      key('withdraw-recording-confirm', '1'),
      ...say('withdraw-recording-done', 'withdraw-objection-noted', 'goodbye'),
    ]);
    expect(r.withdrawn).toEqual([{ consent: 'recording', digit: '1' }]);
  });

  it('no answer after the retries withdraws nothing; a wrong key asks again', async () => {
    const r = await run(DEDICATED, { marketing: MARKETING, recordings: { onConsent: 0, onInterest: 0 } }, [
      ...say('withdraw-intro', 'withdraw-marketing-given', 'date-day-7', 'date-month-12', 'date-year-2026', 'withdraw-channels', 'channel-phone', 'channel-sms'),
      key('withdraw-marketing-confirm', '5'),
      { prompt: 'withdraw-marketing-confirm', status: 'timeout' },
      ...say('withdraw-kept', 'goodbye'),
    ]);
    expect(r.withdrawn).toEqual([]);
    expect(r.end).toMatchObject({ marketing: 'none' });
  });

  it('a hang-up at the question: abandoned in the withdrawal step, nothing withdrawn', async () => {
    const r = await run(DEDICATED, { marketing: MARKETING, recordings: { onConsent: 0, onInterest: 0 } }, [
      ...say('withdraw-intro', 'withdraw-marketing-given', 'date-day-7', 'date-month-12', 'date-year-2026', 'withdraw-channels', 'channel-phone', 'channel-sms'),
      { prompt: 'withdraw-marketing-confirm', status: 'hangup' },
    ]);
    expect(r.end).toEqual({ outcome: 'abandoned', step: 'withdrawal' });
    expect(r.withdrawn).toEqual([]);
  });
});

describe('withdrawal by phone: a menu option', () => {
  const menu = {
    menu: { '1': { action: 'route', route: 'sales' }, '7': { action: 'withdraw' }, '8': { action: 'clause' }, '9': { action: 'objection' } },
    marketing: { controller: 'ACME Sp. z o.o.', channels: ['phone'] },
  };

  it('returns to the menu; a recording consent withdrawn in the call keeps this call unrecorded, and marketing is not asked again', async () => {
    const r = await run(menu, { marketing: MARKETING, recordings: { onConsent: 1, onInterest: 0 } }, [
      ...say('notice'),
      key('menu', '7'),
      ...say('withdraw-intro', 'withdraw-marketing-given', 'date-day-7', 'date-month-12', 'date-year-2026', 'withdraw-channels', 'channel-phone', 'channel-sms'),
      key('withdraw-marketing-confirm', '1'),
      ...say('withdraw-marketing-done', 'withdraw-recordings-consent', 'count-recordings-1'),
      key('withdraw-recording-confirm', '1'),
      ...say('withdraw-recording-done'),
      key('menu', '1'),
    ]);
    expect(r.withdrawn.map((w) => w.consent)).toEqual(['marketing', 'recording']);
    expect(r.end).toEqual({ outcome: 'continued', route: 'sales', recording: false, marketing: 'no' });
    expect(r.events.find((e) => e.kind === 'consent.recording')?.data).toMatchObject({ decision: 'refused', how: 'withdrawn_in_call' });
    expect(r.events.some((e) => e.kind === 'consent.marketing')).toBe(false);
  });

  it('kept consents: the call goes on as usual (recorded by conduct, marketing asked)', async () => {
    const r = await run(menu, { marketing: null, recordings: { onConsent: 2, onInterest: 0 } }, [
      ...say('notice'),
      key('menu', '7'),
      ...say('withdraw-intro', 'withdraw-recordings-consent', 'count-recordings-2'),
      key('withdraw-recording-confirm', '2'),
      ...say('withdraw-kept'),
      key('menu', '1'),
      key('marketing-consent', '2'),
    ]);
    expect(r.withdrawn).toEqual([]);
    expect(r.end).toEqual({ outcome: 'continued', route: 'sales', recording: true, marketing: 'no' });
  });
});
