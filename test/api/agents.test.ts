/**
 * The agents registry over HTTP (role dpo): create, replace, read with today's verdict, the errors
 * a DPO can meet, removal, and the ledger's record of each change (who, by pseudonym).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, evidenceApp, type EvidenceApp } from './evidence-helpers.js';

let t: EvidenceApp;
let dpo = '';
beforeAll(async () => {
  t = await evidenceApp();
  dpo = await t.issue('dpo');
});
afterAll(async () => t?.close());

// The app's clock (test/api/evidence-helpers.ts) stands at 2026-03-02T10:00Z.
const day = (daysAgo: number) => new Date(Date.parse('2026-03-02T10:00:00.000Z') - daysAgo * 86_400_000).toISOString().slice(0, 10);
const notice = (daysAgo: number) => ({ informedOn: day(daysAgo), documentVersion: 'regulamin-2026', documentSha256: 'ab'.repeat(32) });
const put = (id: string, payload: unknown) => t.app.inject({ method: 'PUT', url: `/agents/${id}`, payload: payload as Record<string, unknown>, headers: bearer(dpo) });

async function agentEvents() {
  const out = [];
  for await (const e of t.store.events()) if (e.kind.startsWith('agent.')) out.push(e);
  return out;
}

describe('agents registry API', () => {
  it('creates (201) and replaces (200) an agent; GET says whether calls bridged to them are recorded today', async () => {
    const created = await put('agent-12', { interfaces: ['PJSIP/112'], notice: notice(3) });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ agentId: 'agent-12', interfaces: ['PJSIP/112'], language: 'pl', recordable: { status: 'employee_notice_too_recent', ageDays: 3 } });
    const replaced = await put('agent-12', { interfaces: ['PJSIP/112', 'Local/112@agents'], language: 'en', notice: notice(20) });
    expect(replaced.statusCode).toBe(200);
    const got = await t.app.inject({ url: '/agents/agent-12', headers: bearer(dpo) });
    expect(got.json()).toMatchObject({ language: 'en', interfaces: ['Local/112@agents', 'PJSIP/112'], notice: notice(20), recordable: { status: 'ok', ageDays: 20 } });
    const list = await t.app.inject({ url: '/agents', headers: bearer(dpo) });
    expect(list.json()).toMatchObject({ minDays: 14, agents: [{ agentId: 'agent-12' }] });
    const ledger = await agentEvents();
    expect(ledger.map((e) => e.data['change'])).toEqual(['created', 'updated']);
    expect(ledger[1]!.data['by']).toMatchObject({ role: 'dpo', subjectRef: expect.stringMatching(/^[0-9a-f]{32}$/) });
  });

  it('an agent not informed yet is not recorded', async () => {
    const r = await put('agent-13', { interfaces: ['PJSIP/113'], notice: null });
    expect(r.json()).toMatchObject({ notice: null, recordable: { status: 'employee_notice_missing' } });
  });

  it('refuses a name as id, a channel name as interface, a future day, a bad hash, and an interface another agent holds', async () => {
    expect((await put('Jan%20Kowalski', { interfaces: ['PJSIP/114'], notice: null })).statusCode).toBe(400);
    const channel = await put('agent-14', { interfaces: ['PJSIP/114-0000000a'], notice: null });
    expect(channel.statusCode).toBe(400);
    expect(channel.json().message).toMatch(/normalised/);
    const future = await put('agent-14', { interfaces: ['PJSIP/114'], notice: notice(-2) });
    expect(future.statusCode).toBe(400);
    expect(future.json().message).toMatch(/future/);
    expect((await put('agent-14', { interfaces: ['PJSIP/114'], notice: { ...notice(30), documentSha256: 'nope' } })).statusCode).toBe(400);
    const taken = await put('agent-14', { interfaces: ['PJSIP/112'], notice: null });
    expect(taken.statusCode).toBe(409);
    expect(taken.json()).toMatchObject({ error: 'interface_taken' });
    expect((await t.app.inject({ url: '/agents/agent-14', headers: bearer(dpo) })).statusCode).toBe(404);
  });

  it('removes an agent (200, in the ledger); a second removal is 404', async () => {
    await put('agent-15', { interfaces: ['PJSIP/115'], notice: notice(30) });
    const del = () => t.app.inject({ method: 'DELETE', url: '/agents/agent-15', headers: bearer(dpo) });
    expect((await del()).json()).toEqual({ agentId: 'agent-15', removed: true });
    expect((await del()).statusCode).toBe(404);
    expect((await agentEvents()).at(-1)).toMatchObject({ kind: 'agent.removed', data: { agentId: 'agent-15' } });
  });
});
