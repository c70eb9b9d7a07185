/**
 * The API description is a contract: every route the app serves is in it, and every answer a
 * route really gives (success and the errors: 400, 401, 403, 404) validates against the schema
 * the description documents for that status. The operations come from the generated spec, so a
 * new route with no case here fails the coverage test instead of going unchecked.
 */
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roleAllows, ROLES, type Role } from '../../src/api/tokens.js';
import { bearer, evidenceApp, seedSample, type EvidenceApp } from './evidence-helpers.js';
import { seedRecording } from './recording-helpers.js';

type Schema = Record<string, unknown>;
interface Operation {
  operationId?: string;
  description?: string;
  security?: unknown[];
  responses: Record<string, { description: string; content?: Record<string, { schema?: Schema }> }>;
  parameters?: Array<{ in: string; name: string }>;
  requestBody?: unknown;
}
type Spec = { paths: Record<string, Record<string, Operation>> };

/** What the success call of each operation sends, on the seeded sample (ids filled in at run time). */
interface Case {
  readonly url: string;
  readonly body?: unknown;
  readonly status: number;
}
type Ids = { holdId: string; recordingId: string; treeSize: number; findingId: string; requestId: string };
const CASES: Record<string, (ids: Ids) => Case> = {
  'GET /health': () => ({ url: '/health', status: 200 }),
  'GET /ready': () => ({ url: '/ready', status: 200 }),
  'GET /metrics': () => ({ url: '/metrics', status: 200 }),
  'POST /checkpoints': () => ({ url: '/checkpoints', status: 201 }),
  'GET /calls': () => ({ url: '/calls?limit=2', status: 200 }),
  'GET /calls/outcome-check': () => ({ url: '/calls/outcome-check?graceSeconds=0', status: 200 }),
  'POST /calls/search-by-caller': () => ({ url: '/calls/search-by-caller', body: { callerNumber: '600 123 456' }, status: 200 }),
  'GET /calls/{callId}/timeline': () => ({ url: '/calls/c-01/timeline', status: 200 }),
  'GET /calls/{callId}/receipt': () => ({ url: '/calls/c-01/receipt', status: 200 }),
  'GET /calls/{callId}/proof': () => ({ url: '/calls/c-01/proof', status: 200 }),
  'GET /calls/{callId}/recordings': () => ({ url: '/calls/c-01/recordings', status: 200 }),
  'POST /calls/{callId}/recording/pause': () => ({ url: '/calls/c-01/recording/pause', body: { reason: 'payment_card' }, status: 200 }),
  'POST /calls/{callId}/recording/resume': () => ({ url: '/calls/c-01/recording/resume', status: 200 }),
  'GET /recordings/{recordingId}/audio': (ids) => ({ url: `/recordings/${ids.recordingId}/audio?reason=contract`, status: 200 }),
  'GET /ledger/verify': () => ({ url: '/ledger/verify', status: 200 }),
  'GET /checkpoints/latest': () => ({ url: '/checkpoints/latest', status: 200 }),
  'GET /checkpoints': () => ({ url: '/checkpoints?afterTreeSize=0&limit=1', status: 200 }),
  'GET /checkpoints/public-key': () => ({ url: '/checkpoints/public-key', status: 200 }),
  'GET /checkpoints/consistency': (ids) => ({ url: `/checkpoints/consistency?fromTreeSize=1&toTreeSize=${ids.treeSize}`, status: 200 }),
  'GET /proofs/events/{seq}': () => ({ url: '/proofs/events/1', status: 200 }),
  'GET /stats': () => ({ url: '/stats?from=2026-03-01&to=2026-03-02', status: 200 }),
  'GET /stats/overview': () => ({ url: '/stats/overview?from=2026-03-01&to=2026-03-02', status: 200 }),
  'POST /bundles': () => ({ url: '/bundles', body: { callIds: ['c-01', 'c-04'] }, status: 200 }),
  'GET /config': () => ({ url: '/config', status: 200 }),
  'GET /retention/policies': () => ({ url: '/retention/policies', status: 200 }),
  'POST /retention/sweeps': () => ({ url: '/retention/sweeps', body: { dryRun: true }, status: 200 }),
  'GET /retention/sweeps': () => ({ url: '/retention/sweeps?limit=5', status: 200 }),
  'POST /marketing-consents/lookup': () => ({ url: '/marketing-consents/lookup', body: { numbers: ['600 123 456', 'x'], purpose: 'contract test' }, status: 200 }),
  'POST /consents/withdrawals': () => ({ url: '/consents/withdrawals', body: { callerNumber: '600 123 456', consent: 'marketing', channel: 'letter', reference: 'L-1' }, status: 201 }),
  'GET /assurance': () => ({ url: '/assurance?status=all', status: 200 }),
  'PUT /agents/{agentId}': () => ({ url: '/agents/agent-contract', body: { interfaces: ['PJSIP/700'], language: 'pl', notice: { informedOn: '2026-01-05', documentVersion: '2026-01', documentSha256: 'ab'.repeat(32) } }, status: 201 }),
  'GET /agents': () => ({ url: '/agents', status: 200 }),
  'GET /agents/{agentId}': () => ({ url: '/agents/agent-contract', status: 200 }),
  'POST /assurance/runs': () => ({ url: '/assurance/runs', body: { from: '2026-03-01', to: '2026-03-02' }, status: 201 }),
  'POST /assurance/findings/{findingId}/acknowledge': (ids) => ({ url: `/assurance/findings/${ids.findingId}/acknowledge`, body: { reason: 'contract test' }, status: 200 }),
  'POST /holds': () => ({ url: '/holds', body: { scope: 'call', callId: 'c-04', reason: 'contract test' }, status: 201 }),
  'GET /holds': () => ({ url: '/holds', status: 200 }),
  'GET /holds/{holdId}': (ids) => ({ url: `/holds/${ids.holdId}`, status: 200 }),
  'POST /holds/{holdId}/release': (ids) => ({ url: `/holds/${ids.holdId}/release`, body: {}, status: 202 }),
  'POST /subjects/access': () => ({ url: '/subjects/access', body: { callerNumber: '+48600123456' }, status: 200 }),
  'DELETE /agents/{agentId}': () => ({ url: '/agents/agent-contract', status: 200 }),
  // Last: it erases the caller of c-03.
  'POST /subjects/erasure': () => ({ url: '/subjects/erasure', body: { callerNumber: '+48601000001', reason: 'Art. 17 request' }, status: 200 }),
  // After it: the request it made, listed and read back with its certificate.
  'GET /subjects/erasures': () => ({ url: '/subjects/erasures?limit=10', status: 200 }),
  'GET /subjects/erasures/{requestId}': (ids) => ({ url: `/subjects/erasures/${ids.requestId}`, status: 200 }),
};

/** An id of the right form that names nothing, per path parameter. */
const UNKNOWN: Record<string, string> = {
  callId: 'c-unknown',
  seq: '999999',
  holdId: '00000000-0000-4000-8000-000000000000',
  findingId: 'af-000000000000000000000000',
  agentId: 'agent-unknown',
  recordingId: '00000000-0000-4000-8000-000000000000',
  requestId: '00000000-0000-4000-8000-000000000000',
};

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });

let t: EvidenceApp;
let spec: Spec;
const tokens = {} as Record<Role, string>;
const ids: Ids = { holdId: '', recordingId: '', treeSize: 0, findingId: '', requestId: '' };

function operations(): Array<{ key: string; path: string; method: string; op: Operation }> {
  return Object.entries(spec.paths).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((m) => ({ key: `${m.toUpperCase()} ${path}`, path, method: m.toUpperCase(), op: item[m]! })),
  );
}

/** Checks one real answer against what the description documents for its status and content type. */
function conforms(op: Operation, key: string, r: { statusCode: number; headers: Record<string, unknown>; body: string }): void {
  const documented = op.responses[String(r.statusCode)];
  expect(documented, `${key} answered ${r.statusCode}, which its description does not list (${r.body.slice(0, 200)})`).toBeDefined();
  const type = String(r.headers['content-type'] ?? '').split(';')[0]!;
  const media = documented!.content?.[type];
  expect(media, `${key} ${r.statusCode}: content type ${type} is not documented`).toBeDefined();
  if (type !== 'application/json') {
    expect(media!.schema?.type).toBe('string');
    return;
  }
  // The spec's components ride along at the root, so `#/components/schemas/...` references resolve.
  const validate = ajv.compile({ ...media!.schema, components: (spec as { components?: unknown }).components });
  const body: unknown = JSON.parse(r.body);
  expect(validate(body), `${key} ${r.statusCode} does not match its schema: ${ajv.errorsText(validate.errors)}`).toBe(true);
}

const neededRole = (op: Operation): Role | null => {
  const m = /^Role: ([\w-]+)/.exec(op.description ?? '');
  return m ? (m[1] as Role) : null;
};

beforeAll(async () => {
  t = await evidenceApp();
  await seedSample(t.store);
  for (const role of ROLES) tokens[role] = await t.issue(role);
  ids.recordingId = (await seedRecording(t)).row.id;
  // Asterisk's record of a call in the consent flow that the ledger does not have: one finding to acknowledge.
  const cel = { eventTime: '2026-03-01 10:00:00', uniqueid: '1772359200.1', linkedid: '1772359200.1', channelTech: 'PJSIP', context: 'consentline-inbound' };
  await t.assuranceRepo.insertCel([{ receivedAt: '2026-03-01T10:00:00.000Z', cel: { ...cel, eventName: 'APP_START', application: 'Stasis', appArg: 'consentline' } }]);
  await t.app.ready();
  spec = t.app.swagger() as unknown as Spec;
}, 60_000);
afterAll(async () => t?.close());

describe('the OpenAPI description', () => {
  it('lists every route the app serves, and every operation it lists has a contract case here', () => {
    const documented = operations().map((o) => o.key);
    const served = [...t.registered.map((r) => `${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`), 'GET /health', 'GET /ready', 'GET /metrics'];
    expect(served.filter((k) => !documented.includes(k)), 'served but not in the API description').toEqual([]);
    expect(documented.filter((k) => !(k in CASES)), 'in the API description but without a contract case').toEqual([]);
  });

  it('names an operationId, the role (as in the auth table) and a success schema on every operation', () => {
    const seen = new Set<string>();
    for (const { key, op, method, path } of operations()) {
      expect(op.operationId, key).toMatch(/^[a-z][A-Za-z0-9]+$/);
      expect(seen.has(op.operationId!), `${key}: operationId repeated`).toBe(false);
      seen.add(op.operationId!);
      const route = t.registered.find((r) => r.method === method && r.url.replace(/:(\w+)/g, '{$1}') === path);
      if (path === '/health') expect(op.security).toEqual([]);
      else {
        expect(op.security, key).toEqual([{ bearer: [] }]);
        expect(neededRole(op), key).toBe(route ? (route.role ?? 'admin') : 'auditor');
        expect(op.description!.match(/Role: /g), `${key}: one role note`).toHaveLength(1);
        expect(op.responses['401'], `${key}: 401`).toBeDefined();
      }
      const success = Object.keys(op.responses).filter((s) => s.startsWith('2'));
      expect(success.length, `${key}: a 2xx`).toBeGreaterThan(0);
      for (const s of success) expect(Object.keys(op.responses[s]!.content ?? {}).length, `${key} ${s}: a schema`).toBeGreaterThan(0);
    }
  });

  it('tells the truth: each success answer, and the 400, 401, 403 and 404 answers, validate against it', async () => {
    const checked: string[] = [];
    for (const [key, make] of Object.entries(CASES)) {
      const found = operations().find((o) => o.key === key);
      if (!found) continue; // the coverage test names it
      const { op, method, path } = found;
      const role = neededRole(op);
      const call = async (c: { url: string; body?: unknown }, token: string | null) => {
        const r = await t.app.inject({
          method: method as 'GET' | 'POST',
          url: c.url,
          headers: token ? bearer(token) : {},
          ...(c.body === undefined ? {} : { payload: c.body as object }),
        });
        conforms(op, key, r);
        return r;
      };

      const ok = make(ids);
      const r = await call(ok, role ? tokens[role] : null);
      expect(r.statusCode, `${key}: ${r.body.slice(0, 300)}`).toBe(ok.status);
      if (key === 'POST /holds') ids.holdId = r.json<{ id: string }>().id;
      if (key === 'POST /subjects/erasure') ids.requestId = r.json<{ certificate: { requestId: string } }>().certificate.requestId;
      if (key === 'POST /assurance/runs') ids.findingId = r.json<{ findings: Array<{ id: string }> }>().findings[0]!.id;
      if (key === 'POST /checkpoints') ids.treeSize = r.json<{ checkpoint: { treeSize: number } }>().checkpoint.treeSize;
      checked.push(`${key} ${ok.status}`);

      if (op.responses['401']) {
        expect((await call(ok, null)).statusCode, `${key} without a token`).toBe(401);
        checked.push(`${key} 401`);
      }
      const refused = role ? ROLES.filter((r) => !roleAllows(r, role)) : [];
      if (refused.length) expect(op.responses['403'], `${key}: 403 documented`).toBeDefined();
      for (const other of refused) {
        expect((await call(ok, tokens[other])).statusCode, `${key} with a ${other} token`).toBe(403);
        checked.push(`${key} 403`);
      }
      const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
      if (params.length && op.responses['404']) {
        const url = params.reduce((u, p) => u.replace(`{${p}}`, UNKNOWN[p]!), path) + (ok.url.includes('?') ? ok.url.slice(ok.url.indexOf('?')) : '');
        const r404 = await call({ url, ...(ok.body === undefined ? {} : { body: ok.body }) }, role ? tokens[role] : null);
        expect(r404.statusCode, `${key} on an unknown id: ${r404.body}`).toBe(404);
        checked.push(`${key} 404`);
      }
      if (op.responses['400']) {
        // Every input schema is strict: an unknown query parameter or body field is refused; ids have a form.
        const hasQuery = (op.parameters ?? []).some((p) => p.in === 'query');
        const bad = hasQuery
          ? { url: `${ok.url}${ok.url.includes('?') ? '&' : '?'}bogus=1`, ...(ok.body === undefined ? {} : { body: ok.body }) }
          : op.requestBody
            ? { url: ok.url, body: { bogus: 1 } }
            : { url: params.reduce((u, p) => u.replace(`{${p}}`, 'not!an!id'), path) };
        const r400 = await call(bad, role ? tokens[role] : null);
        expect(r400.statusCode, `${key} with a bad request (${bad.url}): ${r400.body}`).toBe(400);
        checked.push(`${key} 400`);
      }
    }
    // Every case ran, and the error paths were not all skipped.
    expect(checked.filter((c) => / 2\d\d$/.test(c))).toHaveLength(Object.keys(CASES).length);
    for (const status of ['400', '401', '403', '404']) expect(checked.some((c) => c.endsWith(` ${status}`)), status).toBe(true);
  }, 120_000);

  it('fails an answer that does not match: the validator is not a yes-machine', () => {
    const op = operations().find((o) => o.key === 'GET /checkpoints/public-key')!.op;
    const wrong = { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ algorithm: 'Ed25519', origin: 1 }) };
    expect(() => conforms(op, 'GET /checkpoints/public-key', wrong)).toThrow(/does not match its schema/);
    expect(() => conforms(op, 'GET /checkpoints/public-key', { ...wrong, statusCode: 418 })).toThrow(/does not list/);
    const hold = operations().find((o) => o.key === 'GET /holds/{holdId}')!.op;
    expect(() => conforms(hold, 'GET /holds/{holdId}', { ...wrong, statusCode: 404, body: JSON.stringify({ message: 'no code' }) })).toThrow(/does not match/);
  });
});
