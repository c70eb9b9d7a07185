import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyErasureCertificate, type ErasureCertificate } from '../../src/retention/certificate.js';
import { bearer, evidenceApp, seedSample, type EvidenceApp } from '../api/evidence-helpers.js';

let t: EvidenceApp;
beforeEach(async () => {
  t = await evidenceApp();
  await seedSample(t.store);
});
afterEach(async () => t?.close());

const post = (token: string, url: string, payload: unknown) => t.app.inject({ method: 'POST', url, payload: payload as object, headers: bearer(token) });

describe('hold routes', () => {
  it('a release needs a second, different DPO token: same token → 409 with a clear message; both in the ledger', async () => {
    const dpoA = await t.issue('dpo');
    const dpoB = (await t.tokens.create('second-dpo', 'dpo')).token;
    const set = await post(dpoA, '/holds', { scope: 'caller', callerNumber: '600 123 456', reason: 'complaint 7/2026' });
    expect(set.statusCode).toBe(201);
    const hold = set.json() as { id: string; scope: string; callId?: string };
    expect(hold.scope).toBe('caller');
    expect(set.body).not.toMatch(/600123456|lookup/i);

    const ask = await post(dpoA, `/holds/${hold.id}/release`, { reason: 'settled' });
    expect(ask.statusCode).toBe(202);
    const again = await post(dpoA, `/holds/${hold.id}/release`, {});
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ error: 'four_eyes_required' });
    expect((again.json() as { message: string }).message).toMatch(/different DPO token/);
    const ok = await post(dpoB, `/holds/${hold.id}/release`, {});
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ status: 'released', hold: { active: false, released: { name: 'second-dpo' } } });
    expect((await post(dpoB, `/holds/${hold.id}/release`, {})).statusCode).toBe(409);

    const kinds = t.db.prepare(`SELECT kind FROM events WHERE kind LIKE 'hold.%' ORDER BY seq`).all() as { kind: string }[];
    expect(kinds.map((k) => k.kind)).toEqual(['hold.set', 'hold.released']);
    const auditor = await t.issue('auditor');
    expect((await post(auditor, '/holds', { scope: 'flow', flowId: 'main', reason: 'x' })).statusCode).toBe(403);
  });
});

describe('four eyes are two persons', () => {
  it('two tokens of one person cannot release a hold; a token of another person can', async () => {
    const laptop = (await t.tokens.create('alice laptop', 'dpo', 'alice@example.org')).token;
    const phone = (await t.tokens.create('alice phone', 'dpo', 'alice@example.org')).token;
    const bob = (await t.tokens.create('bob', 'dpo', 'bob@example.org')).token;
    const hold = (await post(laptop, '/holds', { scope: 'call', callId: 'c-06', reason: 'litigation' })).json() as { id: string };
    expect((await post(laptop, `/holds/${hold.id}/release`, { reason: 'settled' })).statusCode).toBe(202);
    const same = await post(phone, `/holds/${hold.id}/release`, {});
    expect(same.statusCode).toBe(409);
    expect(same.json()).toMatchObject({ error: 'four_eyes_required', details: { hold: { active: true } } });
    expect((same.json() as { message: string }).message).toMatch(/asked for by alice@example\.org.*another person/);
    const ok = await post(bob, `/holds/${hold.id}/release`, {});
    expect(ok.statusCode).toBe(200);
    const released = t.db.prepare(`SELECT data FROM events WHERE kind = 'hold.released'`).get() as { data: string };
    expect(JSON.parse(released.data)).toMatchObject({ requestedBySubject: 'alice@example.org', approvedBySubject: 'bob@example.org' });
  });
});

describe('hold on a call that does not exist', () => {
  it('answers 404 and writes nothing to the ledger or the hold table', async () => {
    const dpo = await t.issue('dpo');
    const before = t.db.prepare('SELECT count(*) AS n FROM events').get() as { n: number };
    const r = await post(dpo, '/holds', { scope: 'call', callId: 'no-such-call', reason: 'litigation' });
    expect(r.statusCode).toBe(404);
    expect(r.json()).toEqual({ error: 'not_found', message: 'no such call' });
    expect(t.db.prepare('SELECT count(*) AS n FROM events').get()).toEqual(before);
    expect(t.db.prepare('SELECT count(*) AS n FROM legal_holds').get()).toEqual({ n: 0 });
    // A call that does exist is still held.
    expect((await post(dpo, '/holds', { scope: 'call', callId: 'c-06', reason: 'litigation' })).statusCode).toBe(201);
  });
});

describe('subject routes', () => {
  it('erasure: held calls reported, the rest erased, a certificate signed with the checkpoint key, and the ledger still verifies', async () => {
    const dpo = await t.issue('dpo');
    await post(dpo, '/holds', { scope: 'call', callId: 'c-06', reason: 'litigation' });
    const r = await post(dpo, '/subjects/erasure', { callerNumber: '+48 600 123 456', reason: 'Art. 17 request of 2026-03-03' });
    expect(r.statusCode).toBe(200);
    const cert = (r.json() as { certificate: ErasureCertificate }).certificate;
    expect(cert.subject.masked).toBe('+48 *** *** *56');
    expect([...cert.erased.callIds].sort()).toEqual(['c-01', 'c-02']);
    expect(cert.notErased.heldCallIds).toEqual(['c-06']);
    expect(JSON.stringify(cert)).not.toMatch(/600123456/);
    const pub = (await t.app.inject({ url: '/checkpoints/public-key', headers: bearer(dpo) })).json() as { verifierKey?: string; key?: string };
    const verifierKey = pub.verifierKey ?? pub.key ?? t.signer.verifierKey;
    expect(verifyErasureCertificate(cert, verifierKey)).toBe(true);
    expect(verifyErasureCertificate({ ...cert, erased: { ...cert.erased, callIds: ['c-01'] } }, verifierKey)).toBe(false);

    const left = t.db.prepare(`SELECT call_id FROM subjects WHERE e164 = '+48600123456' ORDER BY call_id`).all() as { call_id: string }[];
    expect(left.map((x) => x.call_id)).toEqual(['c-06']);
    const c1 = t.db.prepare(`SELECT caller_lookup, caller_masked FROM calls WHERE call_id = 'c-01'`).get();
    expect(c1).toEqual({ caller_lookup: null, caller_masked: null });
    const verify = await t.app.inject({ url: '/ledger/verify', headers: bearer(dpo) });
    expect(verify.statusCode).toBe(200);
    expect(verify.json()).toMatchObject({ ok: true });
    const done = t.db.prepare(`SELECT seq, hash, data FROM events WHERE kind = 'erasure.done'`).get() as { seq: number; hash: string; data: string };
    expect(cert.ledger).toEqual({ seq: done.seq, hash: done.hash });
    expect(done.data).not.toMatch(/600123456/);

    // Searching by the number now finds only the held call.
    const search = await post(dpo, '/calls/search-by-caller', { callerNumber: '+48600123456' });
    expect((search.json() as { calls: { callId: string }[] }).calls.map((c) => c.callId)).toEqual(['c-06']);
  });

  it('access: JSON with notices, consents and sources; a Polish Markdown summary; the read is in the access log first', async () => {
    const dpo = await t.issue('dpo');
    const r = await post(dpo, '/subjects/access', { callerNumber: '0048600123456', lang: 'en', reason: 'Art. 15 request' });
    expect(r.statusCode).toBe(200);
    const body = r.json() as { export: { calls: Array<{ callId: string; source: { did: string; flowId: string }; noticesHeard: unknown[]; consents: Array<{ kind: string; decision: string }> }> }; summary: string };
    expect(body.export.calls.map((c) => c.callId)).toEqual(['c-01', 'c-02', 'c-06']);
    const c1 = body.export.calls[0]!;
    expect(c1.source).toMatchObject({ did: '+48221234567', flowId: 'main' });
    expect(c1.noticesHeard).toHaveLength(1);
    expect(c1.consents).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'recording', decision: 'granted' }), expect.objectContaining({ kind: 'marketing', decision: 'yes' })]));
    expect(body.summary).toMatch(/We hold 3 call\(s\) from the number \+48 \*\*\* \*\*\* \*56/);

    const md = await post(dpo, '/subjects/access', { callerNumber: '+48600123456', lang: 'pl', format: 'markdown' });
    expect(md.statusCode).toBe(200);
    expect(md.headers['content-type']).toMatch(/text\/markdown/);
    expect(md.body).toMatch(/Przechowujemy 3 połączeń/);
    expect(md.body).toMatch(/nagrywanie rozmowy: zgoda/);

    const logged = t.db.prepare(`SELECT data FROM events WHERE kind = 'access.logged' ORDER BY seq`).all() as { data: string }[];
    const first = JSON.parse(logged[0]!.data) as { route: string; callIds: string[]; criteria: string[]; reason: string };
    expect(first).toMatchObject({ route: 'POST /subjects/access', callIds: ['c-01', 'c-02', 'c-06'], criteria: ['callerNumber'], reason: 'Art. 15 request' });
    expect(logged.map((l) => l.data).join()).not.toMatch(/600123456/);
  });

  it('a sweep over HTTP reports; a dry run changes nothing', async () => {
    const dpo = await t.issue('dpo');
    const r = await post(dpo, '/retention/sweeps', { dryRun: true });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ status: 'done', dryRun: true });
    const p = await t.app.inject({ url: '/retention/policies', headers: bearer(dpo) });
    expect(p.json()).toMatchObject({ default: { recordingsDays: 90, evidenceDays: 2190, quarantineDays: 7 } });
  });

  it('keeps each finished run: GET /retention/sweeps lists real and dry runs newest first, as they were reported', async () => {
    const dpo = await t.issue('dpo');
    const list = async (q = '') => (await t.app.inject({ url: `/retention/sweeps${q}`, headers: bearer(dpo) })).json() as { sweeps: Array<{ runId: string; dryRun: boolean }> };
    expect((await list()).sweeps).toEqual([]);
    const dry = (await post(dpo, '/retention/sweeps', { dryRun: true })).json() as { runId: string };
    const real = (await post(dpo, '/retention/sweeps', {})).json() as { runId: string; status: string };
    expect(real.status).toBe('done');
    const { sweeps } = await list();
    expect(sweeps.map((s) => [s.runId, s.dryRun])).toEqual([
      [real.runId, false],
      [dry.runId, true],
    ]);
    expect(sweeps[0]).toEqual(real);
    expect((await list('?limit=1')).sweeps.map((s) => s.runId)).toEqual([real.runId]);
    expect((await t.app.inject({ url: '/retention/sweeps?limit=500', headers: bearer(dpo) })).statusCode).toBe(400);
  });
});
