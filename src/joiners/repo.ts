/**
 * The agents registry's tables (migration 0070: agents, agent_interfaces) on either engine through
 * {@link SqlExec} (the `?`-placeholder port assurance's repository uses too).
 */
import type { SqlExec } from '../assurance/sql.js';
import type { Agent } from './registry.js';

type Rec = Record<string, unknown>;
const COLS = 'agent_id, language, informed_on, document_version, document_sha256, created_at, updated_at';

function toAgent(r: Rec, interfaces: readonly string[]): Agent {
  const informedOn = r.informed_on === null || r.informed_on === undefined ? null : String(r.informed_on);
  return {
    agentId: String(r.agent_id),
    interfaces,
    language: String(r.language),
    notice: informedOn === null ? null : { informedOn, documentVersion: String(r.document_version), documentSha256: String(r.document_sha256) },
    createdAt: String(r.created_at),
    updatedAt: String(r.updated_at),
  };
}

export type PutAgent = Omit<Agent, 'createdAt' | 'updatedAt'>;

export type PutOutcome =
  | { readonly status: 'created' | 'updated'; readonly agent: Agent }
  /** An interface already belongs to another agent. */
  | { readonly status: 'interface_taken'; readonly interface: string; readonly agentId: string };

export class AgentRepo {
  readonly #x: SqlExec;

  constructor(x: SqlExec) {
    this.#x = x;
  }

  async list(): Promise<Agent[]> {
    const rows = await this.#x.all<Rec>(`SELECT ${COLS} FROM agents ORDER BY agent_id`);
    const ifaces = await this.#x.all<Rec>('SELECT interface, agent_id FROM agent_interfaces ORDER BY interface');
    const by = new Map<string, string[]>();
    for (const i of ifaces) by.set(String(i.agent_id), [...(by.get(String(i.agent_id)) ?? []), String(i.interface)]);
    return rows.map((r) => toAgent(r, by.get(String(r.agent_id)) ?? []));
  }

  async get(agentId: string, x: SqlExec = this.#x): Promise<Agent | null> {
    const [row] = await x.all<Rec>(`SELECT ${COLS} FROM agents WHERE agent_id = ?`, [agentId]);
    if (!row) return null;
    const ifaces = await x.all<Rec>('SELECT interface FROM agent_interfaces WHERE agent_id = ? ORDER BY interface', [agentId]);
    return toAgent(row, ifaces.map((i) => String(i.interface)));
  }

  /** The agent an interface belongs to, or null. */
  async byInterface(iface: string): Promise<Agent | null> {
    const [hit] = await this.#x.all<Rec>('SELECT agent_id FROM agent_interfaces WHERE interface = ?', [iface]);
    return hit ? this.get(String(hit.agent_id)) : null;
  }

  /** Creates or replaces an agent (interfaces, language, notice) in one transaction. */
  async put(a: PutAgent, now: string): Promise<PutOutcome> {
    return this.#x.tx(async (x) => {
      for (const iface of a.interfaces) {
        const [owner] = await x.all<Rec>('SELECT agent_id FROM agent_interfaces WHERE interface = ? AND agent_id <> ?', [iface, a.agentId]);
        if (owner) return { status: 'interface_taken', interface: iface, agentId: String(owner.agent_id) } as const;
      }
      const n = a.notice;
      const values = [a.language, n?.informedOn ?? null, n?.documentVersion ?? null, n?.documentSha256 ?? null, now, a.agentId];
      const updated = await x.run('UPDATE agents SET language = ?, informed_on = ?, document_version = ?, document_sha256 = ?, updated_at = ? WHERE agent_id = ?', values);
      if (updated === 0) {
        await x.run(`INSERT INTO agents (${COLS}) VALUES (?, ?, ?, ?, ?, ?, ?)`, [a.agentId, a.language, n?.informedOn ?? null, n?.documentVersion ?? null, n?.documentSha256 ?? null, now, now]);
      }
      await x.run('DELETE FROM agent_interfaces WHERE agent_id = ?', [a.agentId]);
      for (const iface of a.interfaces) await x.run('INSERT INTO agent_interfaces (interface, agent_id) VALUES (?, ?)', [iface, a.agentId]);
      return { status: updated === 0 ? 'created' : 'updated', agent: (await this.get(a.agentId, x))! } as const;
    });
  }

  /** True when there was such an agent. */
  async remove(agentId: string): Promise<boolean> {
    return this.#x.tx(async (x) => {
      await x.run('DELETE FROM agent_interfaces WHERE agent_id = ?', [agentId]);
      return (await x.run('DELETE FROM agents WHERE agent_id = ?', [agentId])) > 0;
    });
  }
}
