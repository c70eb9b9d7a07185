import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lookupKey } from '../../../src/evidence/subject.js';
import { appendMarketingCall } from '../../support/marketing-seed.js';
import { bearer, evidenceApp, PEPPER, seedCall, type EvidenceApp } from '../evidence-helpers.js';
import { noiseWav, seedRecording } from '../recording-helpers.js';

const NUMBER = '+48600300001';
let t: EvidenceApp;
let dpo = '';
const rec: Record<string, string> = {};
// Recording object keys need UUID call ids: each named call gets one.
const id: Record<string, string> = Object.fromEntries(['w-con', 'w-exp', 'w-li', 'w-held', 'w-other'].map((k) => [k, randomUUID()]));

beforeAll(async () => {
  t = await evidenceApp();
  dpo = await t.issue('dpo');
  const bases = { 'w-con': 'consent_by_conduct', 'w-exp': 'explicit_consent', 'w-li': 'legitimate_interest', 'w-held': 'consent_by_conduct' } as const;
  for (const [callId, legalBasis] of Object.entries(bases)) {
    await seedCall(t.store, { callId: id[callId]!, number: NUMBER, legalBasis, startedAt: '2026-03-01T10:00:00.000Z', outcome: 'continued' });
    rec[callId] = (await seedRecording(t, { callId: id[callId]!, wav: noiseWav(1_000) })).row.id;
  }
  await seedCall(t.store, { callId: id['w-other']!, number: '+48600300002', startedAt: '2026-03-01T11:00:00.000Z', outcome: 'continued' });
  rec['w-other'] = (await seedRecording(t, { callId: id['w-other']!, wav: noiseWav(1_000) })).row.id;
  await t.retention.setHold({ scope: 'call', callId: id['w-held']! }, 'dispute', { tokenId: 'x', tokenName: 'x', role: 'dpo' });
  await appendMarketingCall(t.store, { callId: 'w-mkt', number: NUMBER, decision: 'yes', at: '2026-03-02T09:00:00.000Z', pepper: PEPPER });
});
afterAll(async () => t?.close());

const withdraw = (payload: Record<string, unknown>, token = dpo) => t.app.inject({ method: 'POST', url: '/consents/withdrawals', headers: bearer(token), payload });
const lastEvent = async (kind: string) => {
  let last;
  for await (const e of t.store.events()) if (e.kind === kind) last = e;
  return last!;
};

describe('POST /consents/withdrawals', () => {
  it('marketing by e-mail: a consent.withdrawn event, and the registry says withdrawn at once', async () => {
    const before = await t.app.inject({ method: 'POST', url: '/marketing-consents/lookup', headers: bearer(dpo), payload: { numbers: [NUMBER], purpose: 'before' } });
    expect(before.json().results[0].state).toBe('given');
    const r = await withdraw({ callerNumber: '600 300 001', consent: 'marketing', channel: 'email', reference: 'msg-2026-03-17@example.pl' });
    expect(r.statusCode, r.body).toBe(201);
    const body = r.json();
    expect(body).toEqual({ seq: expect.any(Number), at: expect.any(String), consent: 'marketing' });
    const event = await lastEvent('consent.withdrawn');
    expect(event.seq).toBe(body.seq);
    expect(event.callId).toBeNull();
    expect(event.data).toMatchObject({ consent: 'marketing', channel: 'email', reference: 'msg-2026-03-17@example.pl', recordedBy: { role: 'dpo' } });
    expect(event.data.subject).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(event.data)).not.toContain('600300001');
    expect(JSON.stringify(event.data)).not.toContain(lookupKey(PEPPER, NUMBER));
    const after = await t.app.inject({ method: 'POST', url: '/marketing-consents/lookup', headers: bearer(dpo), payload: { numbers: [NUMBER], purpose: 'after' } });
    expect(after.json().results[0]).toMatchObject({ state: 'withdrawn', how: 'email', since: body.at, evidence: { seq: body.seq, callId: null } });
  });

  it('recording by letter: opens an erasure request for the consent-based recordings; legitimate interest is an objection; held calls stay', async () => {
    const r = await withdraw({ callerNumber: NUMBER, consent: 'recording', channel: 'letter', reference: 'L-2026/44' });
    expect(r.statusCode, r.body).toBe(201);
    const { recordings } = r.json();
    expect([...recordings.toErase].sort()).toEqual([rec['w-con'], rec['w-exp']].sort());
    expect(recordings.objection).toEqual([rec['w-li']]);
    expect(recordings.heldCalls).toEqual([id['w-held']]);
    expect(recordings.erasureRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await lastEvent('consent.withdrawn')).data).toMatchObject({ consent: 'recording', channel: 'letter', reference: 'L-2026/44', erasureRequestId: recordings.erasureRequestId, objection: [rec['w-li']] });
    const pending = t.db.prepare("SELECT recording_id FROM retention_deletions WHERE run_id = ? AND reason = 'erasure' AND state = 'pending' ORDER BY recording_id").pluck().all(recordings.erasureRequestId);
    expect(pending).toEqual([rec['w-con'], rec['w-exp']].sort());
    expect(t.db.prepare('SELECT requested_by FROM erasure_requests WHERE id = ?').pluck().get(recordings.erasureRequestId)).toBeTruthy();
    // The next retention run deletes them, whatever their policy; the others stay.
    await t.retention.sweep();
    const state = (id: string) => t.db.prepare('SELECT state FROM recordings WHERE id = ?').pluck().get(id);
    expect([state(rec['w-con']!), state(rec['w-exp']!)]).toEqual(['deleted', 'deleted']);
    expect([state(rec['w-li']!), state(rec['w-held']!), state(rec['w-other']!)]).toEqual(['done', 'done', 'done']);
  });

  it('a number without recordings opens no erasure request', async () => {
    const r = await withdraw({ callerNumber: '+48600399999', consent: 'recording', channel: 'email', reference: 'x-1' });
    expect(r.statusCode).toBe(201);
    expect(r.json().recordings).toEqual({ erasureRequestId: null, toErase: [], objection: [], heldCalls: [] });
  });

  it('refuses what is not a phone number, an unknown consent or channel, a blank reference (400), and an auditor (403)', async () => {
    const ok = { callerNumber: NUMBER, consent: 'marketing', channel: 'letter', reference: 'r' };
    expect((await withdraw({ ...ok, callerNumber: 'anonymous' })).statusCode).toBe(400);
    expect((await withdraw({ ...ok, consent: 'everything' })).statusCode).toBe(400);
    expect((await withdraw({ ...ok, channel: 'fax' })).statusCode).toBe(400);
    expect((await withdraw({ ...ok, reference: '  ' })).statusCode).toBe(400);
    expect((await withdraw({ ...ok, reference: 'x\u0000y' })).statusCode).toBe(400);
    expect((await withdraw(ok, await t.issue('auditor'))).statusCode).toBe(403);
    expect((await withdraw(ok, await t.issue('dialer'))).statusCode).toBe(403);
  });
});
