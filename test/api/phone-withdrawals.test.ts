import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MarketingRegistryRepo } from '../../src/evidence/marketing-rows.js';
import { createSubject, lookupKey } from '../../src/evidence/subject.js';
import { SqliteRetentionRepo } from '../../src/retention/repo-sqlite.js';
import { ConsentWithdrawals } from '../../src/retention/withdrawal.js';
import { appendMarketingCall } from '../support/marketing-seed.js';
import { evidenceApp, PEPPER, seedCall, type EvidenceApp } from './evidence-helpers.js';
import { noiseWav, seedRecording } from './recording-helpers.js';

// The withdrawal line's side of ConsentWithdrawals: what a number has on file, and a withdrawal
// made by key in a call (the same service the API's letter/e-mail withdrawals use).
const NUMBER = '+48600400001';
const KEY = lookupKey(PEPPER, NUMBER);
let t: EvidenceApp;
let service: ConsentWithdrawals;
let registry: MarketingRegistryRepo;
const id = Object.fromEntries(['con', 'li'].map((k) => [k, randomUUID()])) as Record<'con' | 'li', string>;
const rec: Record<string, string> = {};

/** The withdrawal call itself: open (call.started with the caller's subject), as during the flow. */
async function openCall(number: string | null): Promise<string> {
  const callId = randomUUID();
  const subject = number ? createSubject(number, PEPPER) : null;
  const at = new Date().toISOString();
  await t.store.append(
    { callId, kind: 'call.started', at, data: { flowId: 'withdraw', legalBasis: 'consent_by_conduct', did: '+48221000999', lang: 'pl', caller: subject?.commitment ?? null } },
    { ...(subject ? { subject } : {}), callOpen: { callId, startedAt: at, flowId: 'withdraw', did: '+48221000999', legalBasis: 'consent_by_conduct', server: 'pbx-1', language: 'pl' } },
  );
  return callId;
}

beforeAll(async () => {
  t = await evidenceApp();
  registry = t.side.marketing; // the registry as the API reads it
  service = new ConsentWithdrawals({ repo: new SqliteRetentionRepo(t.db), evidence: t.store, pepper: PEPPER, clock: { now: () => Date.now() }, marketing: registry });
  for (const [k, legalBasis] of [['con', 'consent_by_conduct'], ['li', 'legitimate_interest']] as const) {
    await seedCall(t.store, { callId: id[k], number: NUMBER, legalBasis, startedAt: '2026-03-01T10:00:00.000Z', outcome: 'continued' });
    rec[k] = (await seedRecording(t, { callId: id[k], wav: noiseWav(1_000) })).row.id;
  }
  await appendMarketingCall(t.store, { callId: 'p-mkt', number: NUMBER, decision: 'yes', at: '2026-03-02T09:00:00.000Z', pepper: PEPPER });
});
afterAll(async () => t?.close());

describe('withdrawal by phone (ConsentWithdrawals)', () => {
  it('tells what the number has on file: the marketing consent in force, recordings on consent and on legitimate interest', async () => {
    expect(await service.onFile(KEY)).toEqual({
      marketing: { since: '2026-03-02T09:00:02.000Z', controller: 'Example Controller Sp. z o.o.', channels: ['phone', 'sms'] },
      recordings: { onConsent: 1, onInterest: 1 },
    });
    expect(await service.onFile(lookupKey(PEPPER, '+48600400999'))).toEqual({ marketing: null, recordings: { onConsent: 0, onInterest: 0 } });
  });

  it('marketing: consent.withdrawn in the call (channel phone, the key), the registry withdrawn at once, --check clean', async () => {
    const callId = await openCall(NUMBER);
    const r = await service.recordByPhone({ callId, lookupKey: KEY, consent: 'marketing', digit: '1' });
    const event = (await t.store.callEvents(callId)).find((e) => e.kind === 'consent.withdrawn')!;
    expect(event.seq).toBe(r.seq);
    expect(event.data).toEqual({ consent: 'marketing', channel: 'phone', how: 'dtmf', digit: '1' });
    expect((await registry.lookup([KEY])).get(KEY)).toMatchObject({ state: 'withdrawn', how: 'phone', callId, seq: r.seq });
    expect(await registry.check()).toMatchObject({ differences: [] });
    expect((await service.onFile(KEY)).marketing).toBeNull();
  });

  it('recording: opens an erasure request for the consent-based recordings; legitimate interest is listed as an objection', async () => {
    const callId = await openCall(NUMBER);
    const r = await service.recordByPhone({ callId, lookupKey: KEY, consent: 'recording', digit: '1' });
    expect(r.recordings).toEqual({ erasureRequestId: expect.stringMatching(/^[0-9a-f-]{36}$/), toErase: [rec.con], objection: [rec.li], heldCalls: [] });
    const event = (await t.store.callEvents(callId)).find((e) => e.kind === 'consent.withdrawn')!;
    expect(event.data).toMatchObject({ consent: 'recording', channel: 'phone', erasureRequestId: r.recordings!.erasureRequestId, toErase: [rec.con], objection: [rec.li] });
    expect(t.db.prepare('SELECT requested_by FROM erasure_requests WHERE id = ?').pluck().get(r.recordings!.erasureRequestId)).toBe(`call:${callId}`);
    const pending = t.db.prepare("SELECT recording_id FROM retention_deletions WHERE run_id = ? AND reason = 'erasure' AND state = 'pending'").pluck().all(r.recordings!.erasureRequestId);
    expect(pending).toEqual([rec.con]);
    await t.retention.sweep();
    const state = (x: string) => t.db.prepare('SELECT state FROM recordings WHERE id = ?').pluck().get(x);
    expect([state(rec.con!), state(rec.li!)]).toEqual(['deleted', 'done']);
    expect((await t.store.verify()).ok).toBe(true);
  });

  it('without the marketing registry the service cannot say what is on file (the line fails over, never guesses)', async () => {
    const bare = new ConsentWithdrawals({ repo: new SqliteRetentionRepo(t.db), evidence: t.store, pepper: PEPPER, clock: { now: () => Date.now() } });
    await expect(bare.onFile(KEY)).rejects.toThrow(/marketing registry/);
  });
});
