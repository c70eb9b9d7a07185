import { serializerCompiler } from 'fastify-type-provider-zod';
import { describe, expect, it } from 'vitest';
import { marketingResultsJson } from '../../../src/api/routes/marketing-json.js';
import { lookupResponse } from '../../../src/api/routes/marketing.js';
import type { MarketingAnswer } from '../../../src/evidence/marketing-lookup.js';

// What the route answered before issue 22: the zod type provider's serializer for the same schema.
const zodJson = serializerCompiler({ schema: lookupResponse, method: 'POST', url: '/marketing-consents/lookup', httpStatus: '200' }) as (data: unknown) => string;

/** Both serializers on one body: the same JSON text, or both refuse. */
function both(body: unknown): { zod: string | 'refused'; hand: string | 'refused' } {
  const run = (f: (b: never) => string) => {
    try {
      return f(body as never);
    } catch {
      return 'refused' as const;
    }
  };
  return { zod: run(zodJson), hand: run(marketingResultsJson) };
}

const given: MarketingAnswer = {
  number: '+48 600 111 222',
  e164: '+48600111222',
  state: 'given',
  since: '2026-03-01T09:00:02.000Z',
  controller: 'Example "Controller" Sp. z o.o. \\ żółć',
  channels: ['phone', 'sms'],
  textVersion: 'marketing-consent/pl@3',
  how: 'call',
  evidence: { seq: 42, callId: 'm-1' },
};
const letter: MarketingAnswer = { number: '600777888', e164: '+48600777888', state: 'withdrawn', since: '2026-03-03T08:00:00.000Z', controller: null, channels: null, textVersion: null, how: 'letter', evidence: { seq: 7, callId: null } };
const none: MarketingAnswer = { number: '+48600999000', e164: '+48600999000', state: 'none' };
const notANumber: MarketingAnswer = { number: 'anonymous\u0000\n\u2028\ud800', e164: null, state: 'none', problem: 'not_a_phone_number' };

describe('marketingResultsJson (the look-up answer without zod)', () => {
  it('writes the same JSON text as the zod serializer for every kind of answer', () => {
    const body = { results: [given, letter, none, notANumber, { ...given, channels: [] }, { ...letter, evidence: { seq: 0, callId: 'x' } }] };
    const { zod, hand } = both(body);
    expect(hand).not.toBe('refused');
    expect(hand).toBe(zod);
    expect(JSON.parse(hand).results[3]).toEqual({ number: 'anonymous\u0000\n\u2028\ud800', e164: null, state: 'none', problem: 'not_a_phone_number' });
    expect(both({ results: [] })).toEqual({ zod: '{"results":[]}', hand: '{"results":[]}' });
  });

  it('leaves out what the schema does not name, and an optional field that is undefined', () => {
    const extra = { ...given, lookupKey: 'ab'.repeat(32), evidence: { seq: 42, callId: 'm-1', hash: 'x' }, since: undefined } as unknown as MarketingAnswer;
    const { zod, hand } = both({ results: [extra], extra: 1 });
    expect(hand).toBe(zod);
    expect(hand).not.toContain('lookupKey');
    expect(hand).not.toContain('hash');
    expect(hand).not.toContain('since');
  });

  it('refuses, as zod does, an answer that breaks the schema', () => {
    const bad: unknown[] = [
      { ...none, state: 'maybe' },
      { ...none, problem: 'other' },
      { ...given, evidence: { seq: 1.5, callId: null } },
      { ...given, evidence: { seq: '1', callId: null } },
      { ...given, evidence: { seq: 1 } },
      { ...given, evidence: null },
      { ...given, channels: ['phone', 1] },
      { ...given, channels: 'phone' },
      { ...given, controller: 5 },
      { ...given, how: null },
      { ...given, since: null },
      { ...none, number: undefined },
      { ...none, e164: undefined },
      null,
      'given',
    ];
    for (const answer of bad) expect(both({ results: [answer] }), JSON.stringify(answer)).toEqual({ zod: 'refused', hand: 'refused' });
    expect(both({ results: 'x' })).toEqual({ zod: 'refused', hand: 'refused' });
    expect(both(null)).toEqual({ zod: 'refused', hand: 'refused' });
  });

  it('agrees with zod on 3,000 answers drawn at random, well- and ill-formed', () => {
    let seed = 22;
    const rnd = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 16) % n;
    };
    const pickOf = <T,>(xs: readonly T[]): T => xs[rnd(xs.length)]!;
    const strs = ['', 'a', '+48600111222', 'ż"\\\n', '\ud83d\ude00', '\udc00'];
    const value = (kinds: readonly unknown[]) => pickOf(kinds);
    let agreed = 0;
    for (let i = 0; i < 3_000; i++) {
      const a: Record<string, unknown> = { number: value([...strs, 5]), e164: value([...strs, null, null]), state: value(['given', 'withdrawn', 'none', 'none', 'Given']) };
      const optional: Record<string, readonly unknown[]> = {
        problem: ['not_a_phone_number', 'not_a_phone_number', 'x', undefined],
        since: [...strs, undefined, null],
        controller: [...strs, null, undefined, 1],
        channels: [['phone'], [], null, undefined, [1], ['sms', 'x'], 'phone'],
        textVersion: [...strs, null, undefined],
        how: [...strs, undefined, false],
        evidence: [{ seq: 1, callId: null }, { seq: 2 ** 40, callId: 'c' }, { seq: -3, callId: 'c' }, { seq: 0.5, callId: null }, { seq: Number.NaN, callId: null }, { seq: 2 ** 60, callId: null }, undefined],
      };
      for (const [k, vs] of Object.entries(optional)) if (rnd(3) > 0) a[k] = pickOf(vs);
      const { zod, hand } = both({ results: [a] });
      expect(hand, JSON.stringify(a)).toBe(zod);
      if (hand !== 'refused') agreed += 1;
    }
    // Both outcomes are exercised: many draws pass, many are refused.
    expect(agreed).toBeGreaterThan(100);
    expect(agreed).toBeLessThan(2_900);
  });
});
