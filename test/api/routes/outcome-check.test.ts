import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, evidenceApp, seedSample, type EvidenceApp } from '../evidence-helpers.js';

let t: EvidenceApp;
let token = '';
beforeAll(async () => {
  t = await evidenceApp();
  await seedSample(t.store);
  token = await t.issue('auditor');
});
afterAll(() => t.close());

const check = async (query = '') => t.app.inject({ url: `/calls/outcome-check${query}`, headers: bearer(token) });

async function openCall(callId: string, startedAt: string): Promise<void> {
  await t.store.append(
    { callId, kind: 'call.started', at: startedAt, data: { channelId: `ch-${callId}`, server: 'pbx-1' } },
    { callOpen: { callId, startedAt, flowId: 'main', did: '+48221234567', legalBasis: 'consent_by_conduct', server: 'pbx-1', language: 'pl' } },
  );
}

describe('GET /calls/outcome-check', () => {
  it('is empty when every call has exactly one outcome', async () => {
    const r = await check();
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ ok: true, findings: [], truncated: false, graceSeconds: 3660 });
  });

  it('lists a settled call with no outcome and a call with two; a call young enough to be in progress only with a shorter grace', async () => {
    // The app's clock reads 2026-03-02T10:00Z.
    await openCall('c-open-old', '2026-03-01T08:00:00.000Z');
    await openCall('c-open-young', '2026-03-02T09:59:00.000Z');
    await t.store.append({ callId: 'c-01', kind: 'call.abandoned', data: { step: 'unknown', reason: 'test' } });
    const r = (await check()).json();
    expect(r.ok).toBe(false);
    expect(r.findings).toEqual([
      { callId: 'c-open-old', startedAt: '2026-03-01T08:00:00.000Z', server: 'pbx-1', outcomes: 0 },
      { callId: 'c-01', startedAt: '2026-03-01T09:00:00.000Z', server: 'pbx-1', outcomes: 2 },
    ]);
    const strict = (await check('?graceSeconds=0')).json();
    expect(strict.findings.map((f: { callId: string }) => f.callId)).toEqual(['c-open-old', 'c-01', 'c-open-young']);
    const later = (await check('?from=2026-03-01T08:30:00Z&limit=1')).json();
    expect(later).toMatchObject({ findings: [{ callId: 'c-01' }], truncated: false });
    const cut = (await check('?limit=1')).json();
    expect(cut).toMatchObject({ findings: [{ callId: 'c-open-old' }], truncated: true });
  });

  it('refuses a bad query with 400 and no internals', async () => {
    for (const q of ['?graceSeconds=-1', '?limit=0', '?from=yesterday', '?extra=1']) {
      const r = await check(q);
      expect(r.statusCode, q).toBe(400);
      expect(r.body).not.toMatch(/at .+\.ts:\d+/);
    }
  });
});
