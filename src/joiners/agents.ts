/**
 * The agents registry as the DPO manages it (API `/agents`, CLI `consentline agents`): each change
 * is checked, stored, and written to the ledger (`agent.registered`, `agent.removed`) with who made
 * it (token id, role, pseudonym of its subject), so the audit trail shows when each agent was
 * informed and with which document. The ledger keeps no interface and no name: the agent id, the
 * number of interfaces, the language and the notice.
 */
import type { EvidenceWriter } from '../evidence/store.js';
import { isoAt, type Clock } from '../shared/clock.js';
import type { AgentRepo, PutAgent } from './repo.js';
import { agentProblem, noticeVerdict, type Agent, type NoticeVerdict } from './registry.js';

export interface DpoActor {
  readonly tokenId: string;
  readonly role: string;
  /** HMAC of the token's subject (never the name). */
  readonly subjectRef: string;
}

export type SetOutcome =
  | { readonly status: 'created' | 'updated'; readonly agent: Agent }
  | { readonly status: 'invalid'; readonly problem: string }
  | { readonly status: 'interface_taken'; readonly interface: string; readonly agentId: string };

export class AgentRegistry {
  constructor(
    private readonly deps: { readonly repo: AgentRepo; readonly evidence: EvidenceWriter; readonly clock: Clock; readonly minDays: number; readonly defaultLanguage: string },
  ) {}

  get minDays(): number {
    return this.deps.minDays;
  }

  get defaultLanguage(): string {
    return this.deps.defaultLanguage;
  }

  list(): Promise<Agent[]> {
    return this.deps.repo.list();
  }

  get(agentId: string): Promise<Agent | null> {
    return this.deps.repo.get(agentId);
  }

  byInterface(iface: string): Promise<Agent | null> {
    return this.deps.repo.byInterface(iface);
  }

  /** Whether the agent may be recorded today. */
  verdict(agent: Agent | null): NoticeVerdict {
    return noticeVerdict(agent, this.deps.clock.now(), this.deps.minDays);
  }

  async set(a: PutAgent, by: DpoActor): Promise<SetOutcome> {
    const now = isoAt(this.deps.clock);
    const problem = agentProblem(a, now.slice(0, 10));
    if (problem) return { status: 'invalid', problem };
    const out = await this.deps.repo.put(a, now);
    if (out.status === 'interface_taken') return out;
    const n = a.notice;
    await this.deps.evidence.append({
      callId: null,
      kind: 'agent.registered',
      data: {
        agentId: a.agentId,
        change: out.status,
        interfaces: a.interfaces.length,
        language: a.language,
        notice: n ? { informedOn: n.informedOn, documentVersion: n.documentVersion, documentSha256: n.documentSha256 } : null,
        by: { ...by },
      },
    });
    return out;
  }

  /** False when there was no such agent (nothing written). */
  async remove(agentId: string, by: DpoActor): Promise<boolean> {
    if (!(await this.deps.repo.remove(agentId))) return false;
    await this.deps.evidence.append({ callId: null, kind: 'agent.removed', data: { agentId, by: { ...by } } });
    return true;
  }
}
