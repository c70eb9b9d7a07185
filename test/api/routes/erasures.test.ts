import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bearer, evidenceApp, seedSample, type EvidenceApp } from '../evidence-helpers.js';

let t: EvidenceApp;
beforeEach(async () => {
  t = await evidenceApp();
  await seedSample(t.store);
});
afterEach(async () => t?.close());

const post = (token: string, url: string, payload: unknown) => t.app.inject({ method: 'POST', url, payload: payload as object, headers: bearer(token) });
const get = (token: string, url: string) => t.app.inject({ url, headers: bearer(token) });

/** The certificate as the routes send it (src/retention/certificate.ts; its signature is checked in test/retention). */
interface ErasureCertificate {
  requestId: string;
  signature: string;
}

interface Detail {
  erasure: { requestId: string; status: string; subjectMasked: string | null; erased: { calls: number } | null; notErased: { heldCallIds: string[] } | null };
  certificate: ErasureCertificate | null;
  heldCalls: Array<{ callId: string; holdIds: string[] }>;
}

describe('GET /subjects/erasures', () => {
  it('lists the requests newest first, and one request gives back its signed certificate and the holds keeping its held calls', async () => {
    const dpo = await t.issue('dpo');
    const other = (await t.tokens.create('second dpo', 'dpo', 'bob')).token;
    expect((await get(dpo, '/subjects/erasures')).json()).toEqual({ erasures: [] });
    const hold = (await post(dpo, '/holds', { scope: 'call', callId: 'c-06', reason: 'litigation' })).json() as { id: string };
    const first = (await post(dpo, '/subjects/erasure', { callerNumber: '+48 600 123 456', reason: 'Art. 17' })).json() as { certificate: ErasureCertificate };
    const second = (await post(dpo, '/subjects/erasure', { callerNumber: '+48 601 000 001' })).json() as { certificate: ErasureCertificate };

    const list = (await get(dpo, '/subjects/erasures')).json() as { erasures: Array<{ requestId: string; status: string; subjectMasked: string }> };
    expect(list.erasures.map((e) => e.requestId)).toEqual([second.certificate.requestId, first.certificate.requestId]);
    expect(list.erasures.every((e) => e.status === 'done')).toBe(true);
    expect(JSON.stringify(list)).not.toMatch(/600123456|601000001/);
    expect((await get(dpo, '/subjects/erasures?limit=1')).json()).toMatchObject({ erasures: [{ requestId: second.certificate.requestId }] });

    const r = await get(dpo, `/subjects/erasures/${first.certificate.requestId}`);
    expect(r.statusCode).toBe(200);
    const d = r.json() as Detail;
    expect(d.erasure).toMatchObject({ status: 'done', subjectMasked: '+48 *** *** *56', erased: { calls: 2 }, notErased: { heldCallIds: ['c-06'] } });
    expect(d.certificate).toEqual(first.certificate);
    expect(d.certificate!.signature).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(d.heldCalls).toEqual([{ callId: 'c-06', holdIds: [hold.id] }]);

    // Released by two persons: nothing keeps the call any more.
    await post(dpo, `/holds/${hold.id}/release`, { reason: 'settled' });
    await post(other, `/holds/${hold.id}/release`, {});
    expect(((await get(dpo, `/subjects/erasures/${first.certificate.requestId}`)).json() as Detail).heldCalls).toEqual([{ callId: 'c-06', holdIds: [] }]);
  });

  it('shows a request a withdrawn recording consent opened as open, without a certificate', async () => {
    const dpo = await t.issue('dpo');
    const w = await post(dpo, '/consents/withdrawals', { callerNumber: '+48600123456', consent: 'recording', channel: 'letter', reference: 'L-1' });
    expect(w.statusCode).toBe(201);
    const { recordings } = w.json() as { recordings: { erasureRequestId: string | null } };
    // The sample's calls have no stored recordings: nothing to erase, no request.
    const list = (await get(dpo, '/subjects/erasures')).json() as { erasures: unknown[] };
    expect(list.erasures).toHaveLength(recordings.erasureRequestId ? 1 : 0);
    t.db.prepare('INSERT INTO erasure_requests (id, requested_by, requested_at) VALUES (?, ?, ?)').run('0b0b0b0b-0000-4000-8000-000000000000', 'tok-x', '2026-03-05T00:00:00.000Z');
    const d = (await get(dpo, '/subjects/erasures/0b0b0b0b-0000-4000-8000-000000000000')).json() as Detail;
    expect(d).toEqual({
      erasure: { requestId: '0b0b0b0b-0000-4000-8000-000000000000', requestedBy: 'tok-x', requestedAt: '2026-03-05T00:00:00.000Z', status: 'open', doneAt: null, subjectMasked: null, erased: null, notErased: null },
      certificate: null,
      heldCalls: [],
    });
  });

  it('answers 404 for an unknown request, 400 for a malformed id, 403 to an auditor', async () => {
    const dpo = await t.issue('dpo');
    const auditor = await t.issue('auditor');
    expect((await get(dpo, '/subjects/erasures/00000000-0000-4000-8000-000000000000')).json()).toEqual({ error: 'not_found', message: 'no such erasure request' });
    expect((await get(dpo, '/subjects/erasures/not-an-id')).statusCode).toBe(400);
    expect((await get(dpo, '/subjects/erasures?limit=0')).statusCode).toBe(400);
    expect((await get(auditor, '/subjects/erasures')).statusCode).toBe(403);
  });
});
