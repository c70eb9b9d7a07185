import { afterEach, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/evidence/types.js';
import { bearer, evidenceApp, PEPPER, seedSample, type EvidenceApp } from './evidence-helpers.js';

let t: EvidenceApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

function accessEvents(app: EvidenceApp): StoredEvent[] {
  const rows = app.db.prepare("SELECT seq, call_id, data FROM events WHERE kind = 'access.logged' ORDER BY seq").all() as Array<{ seq: number; call_id: string | null; data: string }>;
  return rows.map((r) => ({ seq: r.seq, callId: r.call_id, data: JSON.parse(r.data) }) as StoredEvent);
}

describe('every read of personal data is in the ledger', () => {
  it('a timeline read: who, what, why; never the token', async () => {
    t = await evidenceApp();
    await seedSample(t.store);
    const { info, token } = await t.tokens.create('Anna (auditor, KPMG)', 'auditor');
    const r = await t.app.inject({ url: '/calls/c-01/timeline?reason=' + encodeURIComponent('audit 2026-Q1 #17'), headers: bearer(token) });
    expect(r.statusCode).toBe(200);
    const logged = accessEvents(t);
    expect(logged).toHaveLength(1);
    expect(logged[0]!.callId).toBeNull();
    expect(logged[0]!.data).toEqual({
      tokenId: info.id,
      tokenName: 'Anna (auditor, KPMG)',
      role: 'auditor',
      route: 'GET /calls/:callId/timeline',
      callIds: ['c-01'],
      reason: 'audit 2026-Q1 #17',
    });
    const all = JSON.stringify(t.db.prepare('SELECT * FROM events').all());
    expect(all).not.toContain(token);
    // The timeline the next reader sees is unchanged by the access event (it has no call id).
    const again = (await t.app.inject({ url: '/calls/c-01/timeline', headers: bearer(token) })).json();
    expect(again.events).toEqual(r.json().events);
    // And the ledger still verifies with the access events in it.
    expect((await t.app.inject({ url: '/ledger/verify', headers: bearer(token) })).json()).toMatchObject({ ok: true });
  });

  it('a search by caller number: the calls found and the criterion, never the number or its HMAC', async () => {
    t = await evidenceApp();
    await seedSample(t.store);
    const dpo = bearer(await t.issue('dpo'));
    const r = await t.app.inject({ method: 'POST', url: '/calls/search-by-caller', headers: dpo, payload: { callerNumber: '600 123 456', reason: 'Art. 15 request', did: '+48221234567' } });
    expect(r.statusCode).toBe(200);
    const [ev] = accessEvents(t);
    expect(ev!.data).toMatchObject({ role: 'dpo', route: 'POST /calls/search-by-caller', callIds: ['c-06', 'c-02', 'c-01'], criteria: ['callerNumber', 'did'], reason: 'Art. 15 request' });
    const lookup = (t.db.prepare("SELECT caller_lookup FROM calls WHERE call_id = 'c-01'").get() as { caller_lookup: string }).caller_lookup;
    const ledger = JSON.stringify(t.db.prepare("SELECT * FROM events WHERE kind = 'access.logged'").all());
    expect(ledger).not.toContain('600123456');
    expect(ledger).not.toContain(lookup);
    expect(ledger).not.toContain(PEPPER);
  });

  it('receipts, proofs and bundles are logged; statistics and verification are not (no personal data)', async () => {
    t = await evidenceApp();
    await seedSample(t.store);
    const admin = bearer(await t.issue('admin'));
    await t.app.inject({ url: '/calls/c-01/receipt', headers: admin });
    await t.app.inject({ url: '/calls/c-01/proof', headers: admin });
    await t.app.inject({ method: 'POST', url: '/bundles', headers: admin, payload: { callIds: ['c-02', 'c-03'] } });
    await t.app.inject({ url: '/stats?from=2026-03-01&to=2026-03-02', headers: admin });
    await t.app.inject({ url: '/ledger/verify', headers: admin });
    await t.app.inject({ url: '/calls?outcome=objected', headers: admin });
    expect(accessEvents(t).map((e) => [e.data.route, e.data.callIds])).toEqual([
      ['GET /calls/:callId/receipt', ['c-01']],
      ['GET /calls/:callId/proof', ['c-01']],
      ['POST /bundles', ['c-02', 'c-03']],
      ['GET /calls', ['c-02']],
    ]);
  });

  it('a reason the ledger cannot encode is a 400, not a 5xx', async () => {
    t = await evidenceApp();
    await seedSample(t.store);
    const admin = bearer(await t.issue('admin'));
    const r = await t.app.inject({ method: 'POST', url: '/bundles', headers: { ...admin, 'content-type': 'application/json' }, payload: '{"callIds":["c-01"],"reason":"\\ud800"}' });
    expect(r.statusCode).toBe(400);
    expect(r.json().message).toBe('invalid body.reason');
  });

  it('when the access cannot be logged, nothing is served (503)', async () => {
    t = await evidenceApp();
    await seedSample(t.store);
    const auditor = bearer(await t.issue('auditor'));
    await t.store.close();
    const r = await t.app.inject({ url: '/calls/c-01/timeline', headers: auditor });
    expect(r.statusCode).toBe(503);
    expect(r.body).not.toContain('call.started');
  });
});
