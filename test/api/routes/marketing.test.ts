import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lookupKey } from '../../../src/evidence/subject.js';
import { appendMarketingCall, appendWithdrawal } from '../../support/marketing-seed.js';
import { bearer, evidenceApp, PEPPER, type EvidenceApp } from '../evidence-helpers.js';

let t: EvidenceApp;
let dialer = '';
let seqs: { given: number; refusedLater: number; letter: number } = { given: 0, refusedLater: 0, letter: 0 };

beforeAll(async () => {
  t = await evidenceApp();
  dialer = await t.issue('dialer');
  const given = await appendMarketingCall(t.store, { callId: 'm-1', number: '+48600111222', decision: 'yes', at: '2026-03-01T09:00:00.000Z', pepper: PEPPER, promptVersion: '3' });
  await appendMarketingCall(t.store, { callId: 'm-2', number: '+48600333444', decision: 'yes', at: '2026-03-01T10:00:00.000Z', pepper: PEPPER });
  const refused = await appendMarketingCall(t.store, { callId: 'm-3', number: '+48600333444', decision: 'no', at: '2026-03-02T10:00:00.000Z', pepper: PEPPER, lang: 'en' });
  await appendMarketingCall(t.store, { callId: 'm-4', number: '+48600555666', decision: 'none', at: '2026-03-02T11:00:00.000Z', pepper: PEPPER });
  await appendMarketingCall(t.store, { callId: 'm-5', number: '+48600777888', decision: 'yes', at: '2026-03-02T12:00:00.000Z', pepper: PEPPER });
  const letter = await appendWithdrawal(t.store, { number: '+48600777888', consent: 'marketing', channel: 'letter', reference: 'L-2026/17', at: '2026-03-03T08:00:00.000Z', pepper: PEPPER });
  seqs = { given: given.seq, refusedLater: refused.seq, letter: letter.seq };
});
afterAll(async () => t?.close());

const lookup = (payload: unknown, token = dialer) =>
  t.app.inject({ method: 'POST', url: '/marketing-consents/lookup', headers: bearer(token), payload: payload as Record<string, unknown> });

describe('POST /marketing-consents/lookup', () => {
  it('answers per number, in order: given with its evidence, withdrawn (refused on a later call, or by letter), none', async () => {
    const r = await lookup({ numbers: ['+48600111222', '600 333 444', '0048600555666', '+48 600 777 888', '+48600999000'], purpose: 'campaign spring-2026' });
    expect(r.statusCode, r.body).toBe(200);
    const results = r.json().results;
    expect(results.map((x: { state: string }) => x.state)).toEqual(['given', 'withdrawn', 'none', 'withdrawn', 'none']);
    expect(results[0]).toEqual({
      number: '+48600111222',
      e164: '+48600111222',
      state: 'given',
      since: '2026-03-01T09:00:02.000Z',
      controller: 'Example Controller Sp. z o.o.',
      channels: ['phone', 'sms'],
      textVersion: 'marketing-consent/pl@3',
      how: 'call',
      evidence: { seq: seqs.given, callId: 'm-1' },
    });
    expect(results[1]).toMatchObject({ number: '600 333 444', e164: '+48600333444', how: 'call', textVersion: 'marketing-consent/en@2', evidence: { seq: seqs.refusedLater, callId: 'm-3' } });
    expect(results[3]).toMatchObject({ e164: '+48600777888', how: 'letter', since: '2026-03-03T08:00:00.000Z', controller: null, evidence: { seq: seqs.letter, callId: null } });
    expect(results[4]).toEqual({ number: '+48600999000', e164: '+48600999000', state: 'none' });
  });

  it('marks what is no phone number as none, with the problem, without failing the rest', async () => {
    const r = await lookup({ numbers: ['anonymous', '+48600111222'], purpose: 'campaign' });
    expect(r.statusCode).toBe(200);
    expect(r.json().results).toEqual([
      { number: 'anonymous', e164: null, state: 'none', problem: 'not_a_phone_number' },
      expect.objectContaining({ state: 'given' }),
    ]);
  });

  it('logs each look-up in the ledger: count, token and purpose, never a number or a look-up key', async () => {
    const numbers = ['+48600111222', '+48600333444', '+48600999000'];
    expect((await lookup({ numbers, purpose: 'campaign summer' })).statusCode).toBe(200);
    const events = [];
    for await (const e of t.store.events()) events.push(e);
    const logged = events.filter((e) => e.kind === 'access.logged').pop()!;
    expect(logged.callId).toBeNull();
    expect(logged.data).toMatchObject({ route: 'POST /marketing-consents/lookup', role: 'dialer', tokenName: 't-dialer', count: 3, purpose: 'campaign summer', criteria: ['numbers'], callIds: [] });
    const text = JSON.stringify(logged.data);
    for (const n of numbers) {
      expect(text).not.toContain(n.slice(1));
      expect(text).not.toContain(lookupKey(PEPPER, n));
    }
  });

  it('takes up to 10,000 numbers and refuses more, an empty list, or no purpose (400)', async () => {
    const many = Array.from({ length: 10_000 }, (_, i) => `+48601${String(i).padStart(6, '0')}`);
    const ok = await lookup({ numbers: many, purpose: 'big campaign' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().results).toHaveLength(10_000);
    expect((await lookup({ numbers: [...many, '+48600111222'], purpose: 'too big' })).statusCode).toBe(400);
    expect((await lookup({ numbers: [], purpose: 'x' })).statusCode).toBe(400);
    expect((await lookup({ numbers: ['+48600111222'] })).statusCode).toBe(400);
    expect((await lookup({ numbers: ['+48600111222'], purpose: '   ' })).statusCode).toBe(400);
    expect((await lookup({ numbers: ['+48600111222'], purpose: 'x', extra: 1 })).statusCode).toBe(400);
  });

  it('refuses to answer when the look-up cannot be logged (503), and an auditor token (403)', async () => {
    t.faults.accessLog = true;
    try {
      const r = await lookup({ numbers: ['+48600111222'], purpose: 'x' });
      expect(r.statusCode).toBe(503);
      expect(r.body).not.toContain('given');
    } finally {
      t.faults.accessLog = false;
    }
    expect((await lookup({ numbers: ['+48600111222'], purpose: 'x' }, await t.issue('auditor'))).statusCode).toBe(403);
  });

  it('a dialer token reads nothing else (403 on evidence routes)', async () => {
    for (const url of ['/calls', '/ledger/verify', '/stats?from=2026-03-01&to=2026-03-02']) {
      expect((await t.app.inject({ url, headers: bearer(dialer) })).statusCode, url).toBe(403);
    }
  });
});
