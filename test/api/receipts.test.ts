import { afterEach, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/config/schema.js';
import { buildIso27560Record } from '../../src/evidence/receipt-iso27560.js';
import { buildConsentReceipt, completeController } from '../../src/evidence/receipt.js';
import type { StoredEvent } from '../../src/evidence/types.js';
import { bearer, evidenceApp, FULL_CONTROLLER, seedSample, type EvidenceApp } from './evidence-helpers.js';
import { expectValidKantara, validateKantara } from './kantara-schema.js';

let t: EvidenceApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

type Receipt = { services: Array<{ purposes: Array<{ purpose: string; consentType: string }> }>; piiPrincipalId: string; 'x-consentline': { decisions: Array<{ purpose: string; decision: string; processingAuthorised: boolean }> } };
const listed = (r: Receipt) => r.services[0]!.purposes.map((p) => `${p.purpose}:${p.consentType}`);
const decided = (r: Receipt) => r['x-consentline'].decisions.map((d) => `${d.purpose}:${d.decision}`);

describe('Kantara consent receipts on the sample calls', () => {
  it('every call gets a receipt that validates against the Kantara v1.1 schema; only what the caller agreed to reads as consent', async () => {
    t = await evidenceApp();
    await seedSample(t.store);
    const dpo = bearer(await t.issue('dpo'));
    const receipts = new Map<string, Receipt>();
    for (const id of ['c-01', 'c-02', 'c-03', 'c-04', 'c-05', 'c-06']) {
      const r = await t.app.inject({ url: `/calls/${id}/receipt`, headers: dpo });
      expect(r.statusCode, r.body).toBe(200);
      expectValidKantara(r.json());
      receipts.set(id, r.json());
    }
    const get = (id: string) => receipts.get(id)!;
    // continued, marketing yes: both purposes, as consents.
    expect(listed(get('c-01'))).toEqual(['call recording:IMPLICIT', 'marketing:EXPLICIT']);
    // objected: nothing reads as consent; the objection is in the extension.
    expect(listed(get('c-02'))).toEqual([]);
    expect(decided(get('c-02'))).toEqual(['call recording:objected']);
    // abandoned during the notice: no decision, nothing listed.
    expect(listed(get('c-03'))).toEqual([]);
    expect(decided(get('c-03'))).toEqual(['call recording:none']);
    // marketing no: the recording only.
    expect(listed(get('c-04'))).toEqual(['call recording:IMPLICIT']);
    expect(decided(get('c-04'))).toEqual(['call recording:granted', 'marketing:no']);
    expect(get('c-04')['x-consentline'].decisions[1]!.processingAuthorised).toBe(false);
    // anonymous caller (failed call): a pseudonymous principal, never null.
    expect(get('c-05').piiPrincipalId).toBe('anonymous:c-05');
    expect(listed(get('c-05'))).toEqual([]);
    // explicit consent granted.
    expect(listed(get('c-06'))).toEqual(['call recording:EXPLICIT']);
  });

  it('answers 409 naming the configuration keys when the controller details are incomplete', async () => {
    t = await evidenceApp();
    await seedSample(t.store);
    const dpo = bearer(await t.issue('dpo'));
    (t.deps as { controller: unknown }).controller = { name: 'ACME', jurisdiction: 'PL', contact: 'DPO' };
    const r = await t.app.inject({ url: '/calls/c-01/receipt', headers: dpo });
    expect(r.statusCode).toBe(409);
    expect(r.json()).toMatchObject({ error: 'controller_incomplete' });
    expect(r.json().message).toBe('set controller.address, controller.email, controller.phone, controller.policyUrl in the configuration to issue receipts');
  });

  it('serves an ISO/IEC TS 27560-shaped record with ?format=iso27560', async () => {
    t = await evidenceApp();
    await seedSample(t.store);
    const dpo = bearer(await t.issue('dpo'));
    const kantara = (await t.app.inject({ url: '/calls/c-04/receipt', headers: dpo })).json();
    const r = await t.app.inject({ url: '/calls/c-04/receipt?format=iso27560', headers: dpo });
    expect(r.statusCode, r.body).toBe(200);
    const rec = r.json();
    expect(rec).toMatchObject({ schema_version: 'ISO/IEC TS 27560:2023 (ConsentLine profile 1)', record_id: kantara.consentReceiptID, pii_principal_id: kantara.piiPrincipalId });
    expect(rec.parties[0]).toMatchObject({ party_name: 'Example Controller Sp. z o.o.', party_email: 'iod@example.pl', party_address: { locality: 'Warszawa' } });
    expect(rec.purposes.map((p: { purpose_id: string; event: Array<{ event_type: string; event_state: string }> }) => [p.purpose_id, p.event[0]!.event_type, p.event[0]!.event_state])).toEqual([
      ['call-recording', 'implicit', 'given'],
      ['marketing', 'explicit', 'refused'],
    ]);
    expect(rec.purposes[0].privacy_notice).toMatchObject({ notice_id: 'notice', version: '3', presented_in_full: true, url: FULL_CONTROLLER.policyUrl });
    expect((await t.app.inject({ url: '/calls/c-04/receipt?format=pdf', headers: dpo })).statusCode).toBe(400);
  });
});

describe('receipts from events (pure)', () => {
  let seq = 0;
  const ev = (kind: StoredEvent['kind'], data: StoredEvent['data']): StoredEvent => {
    seq += 1;
    return { seq, callId: 'x', at: `2026-03-01T09:00:${String(seq).padStart(2, '0')}.000Z`, kind, data, prevHash: '0'.repeat(64), hash: seq.toString(16).padStart(64, '0') };
  };
  const explicitCall = (decision: string, marketing?: string) => [
    ev('call.started', { legalBasis: 'explicit_consent', flowId: 'main', lang: 'pl', caller: null }),
    ev('prompt.played', { promptId: 'notice', version: '1', audioSha256: 'ab'.repeat(32), playback: 'completed', step: 'notice' }),
    ev('consent.recording', { decision, legalBasis: 'explicit_consent', how: 'dtmf', digit: decision === 'granted' ? '1' : '2' }),
    ...(marketing ? [ev('consent.marketing', { decision: marketing, controller: 'ACME', channels: ['sms'], digit: '1', lang: 'pl' })] : []),
  ];

  it('explicit consent refused: no recording purpose, the refusal in the extension and as "refused" in the 27560 record', () => {
    const events = explicitCall('refused');
    const r = buildConsentReceipt('x', events, null, FULL_CONTROLLER)!;
    expectValidKantara(r);
    expect(listed(r)).toEqual([]);
    expect(decided(r)).toEqual(['call recording:refused']);
    expect(r.piiPrincipalId).toBe('anonymous:x');
    const iso = buildIso27560Record('x', events, null, FULL_CONTROLLER)!;
    expect(iso.purposes[0]!.event[0]).toMatchObject({ event_type: 'explicit', event_state: 'refused' });
  });

  it('recording refused but marketing yes: only marketing reads as consent; no answer is not consent', () => {
    const r = buildConsentReceipt('x', explicitCall('refused', 'yes'), null, FULL_CONTROLLER)!;
    expectValidKantara(r);
    expect(listed(r)).toEqual(['marketing:EXPLICIT']);
    const silent = buildConsentReceipt('x', explicitCall('no_answer', 'none'), null, FULL_CONTROLLER)!;
    expectValidKantara(silent);
    expect(listed(silent)).toEqual([]);
    expect(decided(silent)).toEqual(['call recording:no_answer', 'marketing:none']);
  });

  it('the schema check can fail: it rejects what the old receipts had', () => {
    const good = buildConsentReceipt('x', explicitCall('granted'), null, FULL_CONTROLLER)!;
    expect(validateKantara(good)).toBe(true);
    const { policyUrl: _drop, ...noPolicy } = good;
    expect(validateKantara(noPolicy)).toBe(false);
    expect(validateKantara({ ...good, piiPrincipalId: null })).toBe(false);
    expect(validateKantara({ ...good, language: null })).toBe(false);
    expect(validateKantara({ ...good, piiControllers: [{ ...good.piiControllers[0], address: 'ul. Przykładowa 1' }] })).toBe(false);
    const withThirdParty = { ...good, services: [{ service: 's', purposes: [{ ...good.services[0]!.purposes[0]!, thirdPartyDisclosure: true }] }] };
    expect(validateKantara(withThirdParty)).toBe(false);
  });

  it('lists the missing controller keys', () => {
    expect(completeController({ name: 'A', jurisdiction: 'PL' })).toEqual({ ok: false, missing: ['controller.contact', 'controller.address', 'controller.email', 'controller.phone', 'controller.policyUrl'] });
    expect(completeController(FULL_CONTROLLER).ok).toBe(true);
  });
});

describe('controller configuration', () => {
  const base = { routes: { a: { context: 'c', extension: 'e' } }, flows: [{ id: 'main', default: true, legalBasis: 'consent_by_conduct', menu: {}, defaultRoute: 'a', fallbackRoute: 'a' }] };
  it('takes the full contact details and rejects malformed ones', () => {
    expect(ConfigSchema.safeParse({ ...base, controller: FULL_CONTROLLER }).success).toBe(true);
    const bad = (patch: object) => ConfigSchema.safeParse({ ...base, controller: { ...FULL_CONTROLLER, ...patch } });
    expect(bad({ address: 'ul. Przykładowa 1, Warszawa' }).success).toBe(false);
    expect(bad({ address: { ...FULL_CONTROLLER.address, country: 'Poland' } }).success).toBe(false);
    expect(bad({ email: 'not-an-email' }).success).toBe(false);
    expect(bad({ phone: '22 123' }).success).toBe(false);
    expect(bad({ policyUrl: 'ftp://example.pl/x' }).success).toBe(false);
  });
});
