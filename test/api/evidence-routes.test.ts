import { afterEach, describe, expect, it } from 'vitest';
import { verifyBundle } from '../../src/evidence/bundle.js';
import { openNote, parseCheckpointText, parseVerifierKey } from '../../src/evidence/checkpoint.js';
import { eventLeafHash, verifyConsistency, verifyInclusion } from '../../src/evidence/merkle.js';
import { bearer, evidenceApp, PEPPER, seedSample, type EvidenceApp } from './evidence-helpers.js';
import { expectValidKantara } from './kantara-schema.js';

let t: EvidenceApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function setup() {
  t = await evidenceApp();
  const seeded = await seedSample(t.store);
  const auditor = bearer(await t.issue('auditor'));
  const dpo = bearer(await t.issue('dpo'));
  const admin = bearer(await t.issue('admin'));
  return { t, seeded, auditor, dpo, admin };
}

describe('call search', () => {
  it('filters by DID, day, flow, outcome, marketing, recording; newest first; masked numbers only', async () => {
    const { t, auditor } = await setup();
    const get = async (qs: string) => {
      const r = await t.app.inject({ url: `/calls?${qs}`, headers: auditor });
      expect(r.statusCode, r.body).toBe(200);
      return r.json() as { calls: Array<Record<string, unknown>>; nextCursor: string | null };
    };
    const all = await get('');
    expect(all.calls.map((c) => c.callId)).toEqual(['c-06', 'c-05', 'c-04', 'c-03', 'c-02', 'c-01']);
    expect(all.calls[0]).toMatchObject({ callerMasked: '+48 *** *** *56', flowId: 'sales', outcome: 'continued' });
    expect(all.calls[0]).not.toHaveProperty('callerLookup');
    expect(JSON.stringify(all)).not.toContain('600123456');

    expect((await get('did=%2B48227654321')).calls.map((c) => c.callId)).toEqual(['c-04']);
    expect((await get('from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00%2B00:00')).calls).toHaveLength(4);
    expect((await get('flow=sales')).calls.map((c) => c.callId)).toEqual(['c-06', 'c-05']);
    expect((await get('outcome=objected')).calls.map((c) => c.callId)).toEqual(['c-02']);
    expect((await get('marketing=yes')).calls.map((c) => c.callId)).toEqual(['c-01']);
    expect((await get('recording=no&flow=main')).calls.map((c) => c.callId)).toEqual(['c-03', 'c-02']);
  });

  it('pages with an opaque cursor until it runs out', async () => {
    const { t, auditor } = await setup();
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r = await t.app.inject({ url: `/calls?limit=4${cursor ? `&cursor=${cursor}` : ''}`, headers: auditor });
      const body = r.json() as { calls: Array<{ callId: string }>; nextCursor: string | null };
      seen.push(...body.calls.map((c) => c.callId));
      cursor = body.nextCursor;
      pages += 1;
    } while (cursor && pages < 10);
    expect(pages).toBe(2);
    expect(seen).toEqual(['c-06', 'c-05', 'c-04', 'c-03', 'c-02', 'c-01']);
  });

  it('names the bad field', async () => {
    const { t, auditor } = await setup();
    const r = await t.app.inject({ url: '/calls?outcome=maybe&limit=0', headers: auditor });
    expect(r.statusCode).toBe(400);
    expect(r.json().message).toMatch(/querystring\.outcome/);
    expect(r.json().message).toMatch(/querystring\.limit/);
    const bad = await t.app.inject({ url: '/calls?cursor=bm9wZQ', headers: auditor });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toBe('invalid querystring.cursor');
  });

  it('by caller number (DPO): any common form, HMAC only, never echoed or logged', async () => {
    const { t, dpo, auditor } = await setup();
    for (const number of ['+48600123456', '0048 600 123 456', '600-123-456', 'tel:+48600123456']) {
      const r = await t.app.inject({ method: 'POST', url: '/calls/search-by-caller', headers: dpo, payload: { callerNumber: number, reason: 'DSAR 2026/17' } });
      expect(r.statusCode, r.body).toBe(200);
      expect(r.json().calls.map((c: { callId: string }) => c.callId)).toEqual(['c-06', 'c-02', 'c-01']);
    }
    const forbidden = await t.app.inject({ method: 'POST', url: '/calls/search-by-caller', headers: auditor, payload: { callerNumber: '+48600123456' } });
    expect(forbidden.statusCode).toBe(403);
    const bad = await t.app.inject({ method: 'POST', url: '/calls/search-by-caller', headers: dpo, payload: { callerNumber: 'anonymous' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toBe('invalid body.callerNumber');
    expect(bad.body).not.toContain('anonymous');
    const logged = JSON.stringify(t.logs);
    expect(logged).not.toContain('600123456');
    expect(logged).not.toContain('600 123 456');
    expect(logged).not.toContain(PEPPER);
  });
});

describe('timeline, receipt, statistics, config', () => {
  it("shows one call's events with per-event checks", async () => {
    const { t, auditor, seeded } = await setup();
    const r = await t.app.inject({ url: '/calls/c-01/timeline', headers: auditor });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    const events = seeded.events.get('c-01')!;
    expect(body.verification).toEqual({ ok: true, firstBroken: null });
    expect(body.call).toMatchObject({ callId: 'c-01', callerMasked: '+48 *** *** *56' });
    expect(body.events.map((e: { seq: number }) => e.seq)).toEqual(events.map((e) => e.seq));
    expect(body.events[0]).toEqual({ ...events[0], check: 'ok' });
    expect((await t.app.inject({ url: '/calls/nope/timeline', headers: auditor })).statusCode).toBe(404);
  });

  it('issues a Kantara v1.1 receipt without the number', async () => {
    const { t, dpo, seeded } = await setup();
    const r = await t.app.inject({ url: '/calls/c-01/receipt', headers: dpo });
    expect(r.statusCode, r.body).toBe(200);
    const receipt = r.json();
    expectValidKantara(receipt);
    const started = seeded.events.get('c-01')![0]!;
    expect(receipt).toMatchObject({
      version: 'KI-CR-v1.1.0',
      jurisdiction: 'PL',
      collectionMethod: 'IVR notice / DTMF',
      language: 'pl',
      piiPrincipalId: started.data.caller,
      piiControllers: [{ piiController: 'Example Controller Sp. z o.o.', contact: 'iod@example.pl', onBehalf: false, address: { country: 'PL' } }],
      policyUrl: 'https://example.pl/rodo/nagrywanie',
      sensitive: false,
      'x-consentline': { notice: { promptId: 'notice', version: '3', heardInFull: true } },
    });
    expect(receipt.consentReceiptID).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const purposes = receipt.services[0].purposes;
    expect(purposes.map((p: { purpose: string; consentType: string }) => [p.purpose, p.consentType])).toEqual([
      ['call recording', 'IMPLICIT'],
      ['marketing', 'EXPLICIT'],
    ]);
    expect(r.body).not.toContain('600123456');
    const objected = (await t.app.inject({ url: '/calls/c-02/receipt', headers: dpo })).json();
    expectValidKantara(objected);
    expect(objected.services[0].purposes).toEqual([]);
    expect(objected['x-consentline'].decisions[0]).toMatchObject({ purpose: 'call recording', decision: 'objected', processingAuthorised: false });
  });

  it('counts per flow and day', async () => {
    const { t, auditor } = await setup();
    const r = await t.app.inject({ url: '/stats?from=2026-03-01&to=2026-03-02', headers: auditor });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json().days).toEqual([
      { flowId: 'main', day: '2026-03-01', calls: 4, noticeCompleted: 3, abandonedDuringNotice: 1, objections: 1, clauseListens: 1, marketingYes: 1, marketingNo: 1, recorded: 2 },
      { flowId: 'sales', day: '2026-03-02', calls: 2, noticeCompleted: 2, abandonedDuringNotice: 0, objections: 0, clauseListens: 0, marketingYes: 0, marketingNo: 0, recorded: 1 },
    ]);
    const bad = await t.app.inject({ url: '/stats?from=2026-03-02&to=2026-03-01', headers: auditor });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toBe('invalid querystring.to');
  });

  it('counts outcomes, clause listens and marketing answers per day, flow and language for the overview', async () => {
    const { t, auditor } = await setup();
    const get = (qs: string) => t.app.inject({ url: `/stats/overview?${qs}`, headers: auditor });
    const r = await get('from=2026-03-01&to=2026-03-02');
    expect(r.statusCode, r.body).toBe(200);
    const zero = { continued: 0, objected: 0, abandoned: 0, failed: 0, open: 0, clauseListens: 0, marketingYes: 0, marketingNo: 0 };
    expect(r.json()).toEqual({
      from: '2026-03-01',
      to: '2026-03-02',
      rows: [
        { ...zero, day: '2026-03-01', flowId: 'main', language: 'pl', calls: 4, continued: 2, objected: 1, abandoned: 1, clauseListens: 1, marketingYes: 1, marketingNo: 1 },
        { ...zero, day: '2026-03-02', flowId: 'sales', language: 'pl', calls: 2, continued: 1, failed: 1 },
      ],
    });
    expect((await get('from=2026-03-01&to=2026-03-02&flow=sales')).json().rows.map((x: { flowId: string }) => x.flowId)).toEqual(['sales']);
    expect((await get('from=2026-03-01&to=2026-03-02&language=en')).json().rows).toEqual([]);
    expect((await get('from=2026-03-01&to=2026-03-02&language=pl')).json().rows).toHaveLength(2);
    for (const bad of ['from=2026-03-02&to=2026-03-01', 'from=2026-03-01&to=2026-03-02&language=polish', 'from=2025-01-01&to=2026-03-02', 'from=2026-03-01&to=2026-03-02&x=1']) {
      expect((await get(bad)).statusCode, bad).toBe(400);
    }
  });

  it('serves the effective config to admins without secrets', async () => {
    const { t, admin, dpo } = await setup();
    expect((await t.app.inject({ url: '/config', headers: dpo })).statusCode).toBe(403);
    const r = await t.app.inject({ url: '/config', headers: admin });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ evidence: { pepper: '[redacted]' }, ari: { url: 'http://pbx:8088', password: '[redacted]' }, controller: { name: 'Example' } });
    expect(r.body).not.toContain(PEPPER);
  });
});

describe('checkpoints, proofs and bundles', () => {
  it('signs a C2SP checkpoint, proves inclusion and consistency', async () => {
    const { t, auditor, admin, seeded } = await setup();
    expect((await t.app.inject({ url: '/checkpoints/latest', headers: auditor })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'POST', url: '/checkpoints', headers: auditor })).statusCode).toBe(403);
    const created = await t.app.inject({ method: 'POST', url: '/checkpoints', headers: admin });
    expect(created.statusCode, created.body).toBe(201);
    const again = await t.app.inject({ method: 'POST', url: '/checkpoints', headers: admin });
    expect(again.statusCode).toBe(200);
    expect(again.json().created).toBe(false);

    const key = (await t.app.inject({ url: '/checkpoints/public-key', headers: auditor })).json();
    expect(key.verifierKey).toMatch(/^consentline\.test\/ledger\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/);
    const verifier = parseVerifierKey(key.verifierKey)!;
    const latest = (await t.app.inject({ url: '/checkpoints/latest', headers: auditor })).json();
    expect(latest.note).toMatch(/^consentline\.test\/ledger\n\d+\n[A-Za-z0-9+/]{43}=\n\n\u2014 consentline\.test\/ledger [A-Za-z0-9+/]+=*\n$/);
    const opened = openNote(latest.note, verifier);
    expect(opened.ok).toBe(true);
    const cp = parseCheckpointText(opened.ok ? opened.text : '')!;
    expect(cp.treeSize).toBe(latest.treeSize);

    const event = seeded.events.get('c-04')![1]!;
    const proof = (await t.app.inject({ url: `/proofs/events/${event.seq}`, headers: auditor })).json();
    expect(verifyInclusion(eventLeafHash(event.hash), event.seq - 1, cp.treeSize, proof.auditPath.map((h: string) => Buffer.from(h, 'base64')), cp.rootHash)).toBe(true);

    const callProof = (await t.app.inject({ url: '/calls/c-04/proof', headers: auditor })).json();
    expect(callProof.proofs).toHaveLength(seeded.events.get('c-04')!.length);

    // Grow the ledger, sign again, prove the old tree is a prefix of the new one.
    await t.store.append({ callId: 'x', kind: 'call.ended', data: {} });
    const second = (await t.app.inject({ method: 'POST', url: '/checkpoints', headers: admin })).json().checkpoint;
    const cons = (await t.app.inject({ url: `/checkpoints/consistency?from=${cp.treeSize}&to=${second.treeSize}`, headers: auditor })).json();
    expect(
      verifyConsistency(cp.treeSize, second.treeSize, cp.rootHash, Buffer.from(second.rootHash, 'base64'), cons.proof.map((h: string) => Buffer.from(h, 'base64'))),
    ).toBe(true);
  });

  it('exports a bundle that verifies offline with the public key only', async () => {
    const { t, auditor } = await setup();
    const r = await t.app.inject({ method: 'POST', url: '/bundles', headers: auditor, payload: { callIds: ['c-01', 'c-04'], reason: 'audit 2026-Q1' } });
    expect(r.statusCode, r.body).toBe(200);
    const bundle = r.json();
    expect(bundle.calls[0].prompts[0]).toMatchObject({ promptId: 'notice', version: '3', audioSha256: 'ab'.repeat(32) });
    expect(verifyBundle(bundle, parseVerifierKey(t.signer.verifierKey)!)).toMatchObject({ ok: true, calls: 2 });
    const missing = await t.app.inject({ method: 'POST', url: '/bundles', headers: auditor, payload: { callIds: ['c-01', 'zzz'] } });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().details).toEqual({ missing: ['zzz'] });
  });

  it('verifies the ledger, whole or a range', async () => {
    const { t, auditor } = await setup();
    const whole = (await t.app.inject({ url: '/ledger/verify', headers: auditor })).json();
    expect(whole).toMatchObject({ ok: true, range: { fromSeq: 1, toSeq: null } });
    const part = (await t.app.inject({ url: '/ledger/verify?fromSeq=3&toSeq=7', headers: auditor })).json();
    expect(part).toMatchObject({ ok: true, checked: 5 });
    expect((await t.app.inject({ url: '/ledger/verify?fromSeq=7&toSeq=3', headers: auditor })).statusCode).toBe(400);
  });
});

describe('OpenAPI', () => {
  it('describes every auditor/DPO route, with its parameters', async () => {
    t = await evidenceApp();
    const r = await t.app.inject('/docs/json');
    expect(r.statusCode, r.body.slice(0, 300)).toBe(200);
    const doc = r.json();
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    for (const route of t.registered) expect(documented).toContain(`${route.method} ${route.url}`);
    const params = doc.paths['/calls'].get.parameters.map((p: { name: string }) => p.name);
    expect(params).toEqual(expect.arrayContaining(['from', 'to', 'did', 'cursor', 'reason']));
  });
});
