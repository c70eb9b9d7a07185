// What the agents registry must do on each engine (test/contract/agents-sqlite.test.ts,
// agents-postgres.test.ts): create and replace an agent with its interfaces in one step, look an
// interface up, refuse an interface another agent holds, remove, and write each change to the
// ledger (agent.registered / agent.removed) without interfaces or names.
import { describe, expect, it } from 'vitest';
import type { EvidenceStore } from '../../src/evidence/store.js';
import { AgentRegistry } from '../../src/joiners/agents.js';
import type { AgentRepo } from '../../src/joiners/repo.js';

export interface AgentsFixture {
  readonly evidence: EvidenceStore;
  repo(): Promise<AgentRepo>;
}

export interface AgentsEngine {
  readonly name: 'sqlite' | 'postgres';
  fixture(): Promise<AgentsFixture>;
}

const NOW = Date.parse('2026-06-20T10:00:00.000Z');
const DPO = { tokenId: 'tok-dpo', role: 'dpo', subjectRef: '0123abcd' };
const notice = (informedOn: string) => ({ informedOn, documentVersion: '2026-05', documentSha256: 'd'.repeat(64) });

async function callless(evidence: EvidenceStore) {
  const out = [];
  for await (const e of evidence.events()) if (e.callId === null) out.push(e);
  return out;
}

export function agentsContract(engine: AgentsEngine): void {
  describe(`agents registry (${engine.name})`, () => {
    const open = async () => {
      const f = await engine.fixture();
      const repo = await f.repo();
      const registry = new AgentRegistry({ repo, evidence: f.evidence, clock: { now: () => NOW }, minDays: 14, defaultLanguage: 'pl' });
      return { f, repo, registry };
    };

    it('creates, looks up by interface, replaces (interfaces and notice), and says whether the agent may be recorded', async () => {
      const { f, repo, registry } = await open();
      const created = await registry.set({ agentId: 'agent-17', interfaces: ['PJSIP/117', 'Local/117@agents'], language: 'pl', notice: notice('2026-06-17') }, DPO);
      expect(created).toMatchObject({ status: 'created', agent: { agentId: 'agent-17', interfaces: ['Local/117@agents', 'PJSIP/117'], language: 'pl', notice: notice('2026-06-17') } });
      expect(registry.verdict((await repo.byInterface('PJSIP/117'))!)).toEqual({ status: 'employee_notice_too_recent', informedOn: '2026-06-17', ageDays: 3 });
      expect(await repo.byInterface('PJSIP/999')).toBeNull();

      const replaced = await registry.set({ agentId: 'agent-17', interfaces: ['PJSIP/118'], language: 'en', notice: notice('2026-06-06') }, DPO);
      expect(replaced.status).toBe('updated');
      expect(await repo.byInterface('PJSIP/117')).toBeNull();
      const a = (await repo.byInterface('PJSIP/118'))!;
      expect(a).toMatchObject({ agentId: 'agent-17', language: 'en', interfaces: ['PJSIP/118'] });
      expect(registry.verdict(a)).toEqual({ status: 'ok', informedOn: '2026-06-06', ageDays: 14 });
      expect(a.createdAt <= a.updatedAt).toBe(true);

      const ledger = await callless(f.evidence);
      expect(ledger.map((e) => [e.kind, e.data['change']])).toEqual([['agent.registered', 'created'], ['agent.registered', 'updated']]);
      expect(ledger[1]!.data).toMatchObject({ agentId: 'agent-17', interfaces: 1, language: 'en', notice: notice('2026-06-06'), by: DPO });
      expect(JSON.stringify(ledger)).not.toContain('PJSIP/');
    });

    it('refuses an interface another agent holds, and a bad entry, writing nothing', async () => {
      const { f, registry, repo } = await open();
      await registry.set({ agentId: 'agent-a', interfaces: ['PJSIP/100'], language: 'pl', notice: null }, DPO);
      expect(await registry.set({ agentId: 'agent-b', interfaces: ['PJSIP/101', 'PJSIP/100'], language: 'pl', notice: null }, DPO)).toEqual({ status: 'interface_taken', interface: 'PJSIP/100', agentId: 'agent-a' });
      expect(await repo.get('agent-b')).toBeNull();
      expect(await registry.set({ agentId: 'Jan Kowalski', interfaces: ['PJSIP/102'], language: 'pl', notice: null }, DPO)).toMatchObject({ status: 'invalid' });
      expect(await registry.set({ agentId: 'agent-c', interfaces: ['PJSIP/102'], language: 'pl', notice: notice('2026-07-01') }, DPO)).toMatchObject({ status: 'invalid', problem: expect.stringMatching(/future/) });
      expect((await callless(f.evidence)).length).toBe(1);
      expect(registry.verdict(await repo.get('agent-a'))).toEqual({ status: 'employee_notice_missing' });
    });

    it('removes an agent and its interfaces; removing again is refused', async () => {
      const { f, registry, repo } = await open();
      await registry.set({ agentId: 'agent-r', interfaces: ['PJSIP/200'], language: 'pl', notice: notice('2026-01-01') }, DPO);
      expect(await registry.remove('agent-r', DPO)).toBe(true);
      expect(await repo.byInterface('PJSIP/200')).toBeNull();
      expect(await registry.remove('agent-r', DPO)).toBe(false);
      expect(await registry.list()).toEqual([]);
      expect((await callless(f.evidence)).map((e) => e.kind)).toEqual(['agent.registered', 'agent.removed']);
    });
  });
}
