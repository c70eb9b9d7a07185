import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roleAllows, ROLES, type Role } from '../../src/api/tokens.js';
import { bearer, evidenceApp, seedSample, type EvidenceApp } from './evidence-helpers.js';
import { noiseWav, seedRecording } from './recording-helpers.js';

type Req = Omit<InjectOptions, 'headers'>;

/**
 * Every auditor/DPO route with the least role it needs and a request it answers with 2xx.
 * A route registered without an entry here fails the first test: no route ships unmatrixed.
 */
const MATRIX: Record<string, { role: Role; req: (cpSize: number) => Req }> = {
  'GET /calls': { role: 'auditor', req: () => ({ url: '/calls' }) },
  'POST /calls/search-by-caller': { role: 'dpo', req: () => ({ method: 'POST', url: '/calls/search-by-caller', payload: { callerNumber: '+48600123456' } }) },
  'GET /calls/outcome-check': { role: 'auditor', req: () => ({ url: '/calls/outcome-check' }) },
  'GET /calls/:callId/timeline': { role: 'auditor', req: () => ({ url: '/calls/c-01/timeline' }) },
  'GET /calls/:callId/receipt': { role: 'dpo', req: () => ({ url: '/calls/c-01/receipt' }) },
  'GET /calls/:callId/proof': { role: 'auditor', req: () => ({ url: '/calls/c-01/proof' }) },
  'GET /ledger/verify': { role: 'auditor', req: () => ({ url: '/ledger/verify' }) },
  'GET /checkpoints/latest': { role: 'auditor', req: () => ({ url: '/checkpoints/latest' }) },
  'GET /checkpoints': { role: 'auditor', req: () => ({ url: '/checkpoints?limit=1' }) },
  'POST /checkpoints': { role: 'admin', req: () => ({ method: 'POST', url: '/checkpoints' }) },
  'GET /checkpoints/public-key': { role: 'auditor', req: () => ({ url: '/checkpoints/public-key' }) },
  'GET /checkpoints/consistency': { role: 'auditor', req: (n) => ({ url: `/checkpoints/consistency?from=1&to=${n}` }) },
  'GET /proofs/events/:seq': { role: 'auditor', req: () => ({ url: '/proofs/events/1' }) },
  'GET /stats': { role: 'auditor', req: () => ({ url: '/stats?from=2026-03-01&to=2026-03-31' }) },
  'GET /stats/overview': { role: 'auditor', req: () => ({ url: '/stats/overview?from=2026-03-01&to=2026-03-31&language=pl' }) },
  'POST /bundles': { role: 'auditor', req: () => ({ method: 'POST', url: '/bundles', payload: { callIds: ['c-01'] } }) },
  'GET /config': { role: 'admin', req: () => ({ url: '/config' }) },
  'GET /retention/policies': { role: 'dpo', req: () => ({ url: '/retention/policies' }) },
  'POST /retention/sweeps': { role: 'dpo', req: () => ({ method: 'POST', url: '/retention/sweeps', payload: { dryRun: true } }) },
  'POST /holds': { role: 'dpo', req: () => ({ method: 'POST', url: '/holds', payload: { scope: 'flow', flowId: 'matrix', reason: 'auth matrix' } }) },
  'GET /holds': { role: 'dpo', req: () => ({ url: '/holds?active=true' }) },
  'GET /holds/:holdId': { role: 'dpo', req: () => ({ url: `/holds/${matrixHold}` }) },
  // Four eyes: the dpo token asks (202), the admin token (a different one) approves (200).
  'POST /holds/:holdId/release': { role: 'dpo', req: () => ({ method: 'POST', url: `/holds/${matrixHold}/release`, payload: {} }) },
  'POST /subjects/erasure': { role: 'dpo', req: () => ({ method: 'POST', url: '/subjects/erasure', payload: { callerNumber: '+48609999999' } }) },
  'GET /subjects/erasures': { role: 'dpo', req: () => ({ url: '/subjects/erasures?limit=5' }) },
  'GET /subjects/erasures/:requestId': { role: 'dpo', req: () => ({ url: `/subjects/erasures/${matrixErasure}` }) },
  'GET /retention/sweeps': { role: 'dpo', req: () => ({ url: '/retention/sweeps?limit=5' }) },
  'POST /subjects/access': { role: 'dpo', req: () => ({ method: 'POST', url: '/subjects/access', payload: { callerNumber: '+48600123456', lang: 'en' } }) },
  'GET /calls/:callId/recordings': { role: 'dpo', req: () => ({ url: `/calls/${matrixRecording.callId}/recordings` }) },
  'POST /marketing-consents/lookup': { role: 'dialer', req: () => ({ method: 'POST', url: '/marketing-consents/lookup', payload: { numbers: ['+48600123456'], purpose: 'auth matrix' } }) },
  'POST /consents/withdrawals': { role: 'dpo', req: () => ({ method: 'POST', url: '/consents/withdrawals', payload: { callerNumber: '+48609999998', consent: 'marketing', channel: 'letter', reference: 'matrix' } }) },
  'POST /calls/:callId/recording/pause': { role: 'agent-desktop', req: () => ({ method: 'POST', url: '/calls/c-01/recording/pause' }) },
  'POST /calls/:callId/recording/resume': { role: 'agent-desktop', req: () => ({ method: 'POST', url: '/calls/c-01/recording/resume' }) },
  'GET /recordings/:recordingId/audio': { role: 'dpo', req: () => ({ url: `/recordings/${matrixRecording.id}/audio?reason=auth%20matrix` }) },
  'GET /assurance': { role: 'dpo', req: () => ({ url: '/assurance' }) },
  'POST /assurance/runs': { role: 'dpo', req: () => ({ method: 'POST', url: '/assurance/runs', payload: { from: '2026-03-01', to: '2026-03-01' } }) },
  // A finding can be acknowledged once: each request names the next one.
  'POST /assurance/findings/:findingId/acknowledge': { role: 'dpo', req: () => ({ method: 'POST', url: `/assurance/findings/${matrixFindings.shift()}/acknowledge`, payload: { reason: 'auth matrix' } }) },
  'GET /agents': { role: 'dpo', req: () => ({ url: '/agents' }) },
  'GET /agents/:agentId': { role: 'dpo', req: () => ({ url: '/agents/matrix-agent' }) },
  'PUT /agents/:agentId': { role: 'dpo', req: () => ({ method: 'PUT', url: '/agents/matrix-agent', payload: { interfaces: ['PJSIP/900'], notice: null } }) },
  // An agent can be removed once: each request names the next one.
  'DELETE /agents/:agentId': { role: 'dpo', req: () => ({ method: 'DELETE', url: `/agents/${matrixAgents.shift()}` }) },
};
let matrixAgents: string[] = [];
let matrixFindings: string[] = [];
let matrixHold = '';
let matrixErasure = '';
let matrixRecording = { id: '', callId: '' };

let t: EvidenceApp;
let cpSize = 0;
const tokens = {} as Record<Role, string>;
let revoked = '';

beforeAll(async () => {
  t = await evidenceApp();
  await seedSample(t.store);
  const cp = await t.checkpoints.create();
  if (!cp.ok) throw new Error('no checkpoint');
  cpSize = cp.checkpoint.treeSize;
  for (const role of ROLES) tokens[role] = await t.issue(role);
  const rec = await seedRecording(t, { wav: noiseWav(1_000) });
  matrixRecording = { id: rec.row.id, callId: rec.callId };
  const erased = await t.retention.erase('+48609999997', { tokenId: 'setter', tokenName: 'setter', role: 'dpo' }, 'auth matrix');
  if (erased.status !== 'done') throw new Error('no erasure');
  matrixErasure = erased.certificate.requestId;
  matrixHold = (await t.retention.setHold({ scope: 'flow', flowId: 'matrix' }, 'auth matrix', { tokenId: 'setter', tokenName: 'setter', role: 'dpo' })).id;
  // Asterisk's records of eight calls in the consent flow that the ledger does not have: eight findings.
  const cel = { eventTime: '2026-03-01 10:00:00', channelTech: 'PJSIP', context: 'consentline-inbound', eventName: 'APP_START', application: 'Stasis', appArg: 'consentline' } as const;
  await t.assuranceRepo.insertCel(Array.from({ length: 8 }, (_, i) => ({ receivedAt: '2026-03-01T10:00:00.000Z', cel: { ...cel, uniqueid: `1772359200.${i}`, linkedid: `1772359200.${i}` } })));
  matrixFindings = (await t.assurance.run({ from: '2026-03-01T00:00:00.000Z', to: '2026-03-02T00:00:00.000Z' }, 'cli')).findings.map((f) => f.id);
  const by = { tokenId: 'seed', role: 'dpo', subjectRef: 'seed' };
  await t.agents.set({ agentId: 'matrix-agent', interfaces: ['PJSIP/900'], language: 'pl', notice: null }, by);
  matrixAgents = Array.from({ length: 8 }, (_, i) => `matrix-gone-${i}`);
  for (const [i, agentId] of matrixAgents.entries()) await t.agents.set({ agentId, interfaces: [`PJSIP/91${i}`], language: 'pl', notice: null }, by);
  const gone = await t.tokens.create('gone', 'admin');
  await t.tokens.revoke(gone.info.id);
  revoked = gone.token;
});
afterAll(async () => t?.close());

describe('auth matrix over every registered route', () => {
  it('has exactly one entry per registered route, with the role the route declares', () => {
    const registered = t.registered.filter((r) => !r.public).map((r) => `${r.method} ${r.url}`);
    expect(registered.length).toBeGreaterThan(0);
    expect([...registered].sort()).toEqual(Object.keys(MATRIX).sort());
    for (const r of t.registered) expect(r.role ?? 'admin', `${r.method} ${r.url}`).toBe(MATRIX[`${r.method} ${r.url}`]!.role);
  });

  it('dialer may do nothing but the marketing look-up; dpo and admin may do it too, an auditor not', () => {
    for (const [route, { role }] of Object.entries(MATRIX)) expect(roleAllows('dialer', role), route).toBe(route === 'POST /marketing-consents/lookup');
    expect(ROLES.filter((r) => roleAllows(r, 'dialer'))).toEqual(['dpo', 'admin', 'dialer']);
  });

  it('agent-desktop may do nothing but pause and resume a recording; only admin may do that too', () => {
    for (const [route, { role }] of Object.entries(MATRIX)) expect(roleAllows('agent-desktop', role), route).toBe(/^POST \/calls\/:callId\/recording\/(pause|resume)$/.test(route));
    expect(ROLES.filter((r) => roleAllows(r, 'agent-desktop'))).toEqual(['admin', 'agent-desktop']);
  });

  for (const [route, { role, req }] of Object.entries(MATRIX)) {
    it(`${route}: 401 without or with a revoked token; ${role} and above only`, async () => {
      const send = (headers: Record<string, string>) => t.app.inject({ ...req(cpSize), headers } as InjectOptions);
      expect((await send({})).statusCode).toBe(401);
      expect((await send({ authorization: 'Bearer clt_not-a-real-token' })).statusCode).toBe(401);
      expect((await send(bearer(revoked))).statusCode).toBe(401);
      for (const held of ROLES) {
        const r = await send(bearer(tokens[held]));
        const allowed = roleAllows(held, role);
        if (allowed) expect(r.statusCode, `${held}: ${r.body}`).toBeGreaterThanOrEqual(200);
        if (allowed) expect(r.statusCode, `${held}: ${r.body}`).toBeLessThan(300);
        else expect(r.statusCode, held).toBe(403);
      }
    });
  }
});
