/**
 * The registry of agents (issue 23.3), pure: what an entry holds, how an Asterisk interface is
 * normalised, and whether an agent's monitoring notice allows recording them. Labour Code art. 22²
 * §7 (as the issue reads it): an employee is informed of monitoring at least N days (default 14)
 * before it starts; a call bridged to an agent whose notice is missing or younger is not recorded.
 */

/** A pseudonymous agent id: lower-case letters, digits and dashes, never a name. */
export const AGENT_ID_PATTERN = /^[a-z0-9][a-z0-9-]{2,63}$/;
/** An Asterisk interface as a queue member or endpoint names it: `PJSIP/100`, `Local/agent@ctx`. */
export const INTERFACE_PATTERN = /^[A-Za-z][A-Za-z0-9]{1,15}\/[A-Za-z0-9_.@+#*-]{1,80}$/;
export const LANGUAGE_PATTERN = /^[a-z]{2,3}(_[A-Za-z]{2,4})?$/;
export const SHA256_PATTERN = /^[0-9a-f]{64}$/;
export const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

export interface MonitoringNotice {
  /** The day the agent was informed (YYYY-MM-DD). */
  readonly informedOn: string;
  readonly documentVersion: string;
  readonly documentSha256: string;
}

export interface Agent {
  readonly agentId: string;
  readonly interfaces: readonly string[];
  /** The language of the notice the agent hears when joining a call. */
  readonly language: string;
  /** Null: never informed (recording them is refused). */
  readonly notice: MonitoringNotice | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export type NoticeVerdict =
  | { readonly status: 'ok'; readonly informedOn: string; readonly ageDays: number }
  | { readonly status: 'employee_notice_missing' }
  | { readonly status: 'employee_notice_too_recent'; readonly informedOn: string; readonly ageDays: number };

/**
 * The interface an Asterisk channel or queue member stands for: the channel's unique suffix
 * (`-0000001a`, `;1`) and Local's `/n` option dropped. Null when it is not one.
 */
export function normalizeInterface(raw: string): string | null {
  let s = raw.trim();
  s = s.replace(/;[12]$/, '');
  s = s.replace(/\/[nbj]+$/, '');
  // A channel name: technology/resource-<hex sequence>.
  s = s.replace(/-[0-9a-f]{8}$/, '');
  return INTERFACE_PATTERN.test(s) ? s : null;
}

/** A real calendar day written YYYY-MM-DD (2026-02-30 is not one). */
export function isDay(s: string): boolean {
  if (!DAY_PATTERN.test(s)) return false;
  const t = Date.parse(`${s}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === s;
}

/** Whole days from the informed day to `now` (UTC). */
export function ageInDays(informedOn: string, now: number): number {
  return Math.floor((now - Date.parse(`${informedOn}T00:00:00Z`)) / 86_400_000);
}

/** Whether the agent may be recorded now: informed at least `minDays` days ago. */
export function noticeVerdict(agent: Pick<Agent, 'notice'> | null, now: number, minDays: number): NoticeVerdict {
  if (!agent?.notice) return { status: 'employee_notice_missing' };
  const ageDays = ageInDays(agent.notice.informedOn, now);
  const { informedOn } = agent.notice;
  return ageDays >= minDays ? { status: 'ok', informedOn, ageDays } : { status: 'employee_notice_too_recent', informedOn, ageDays };
}

/** Why an agent entry is not acceptable, or null. */
export function agentProblem(a: { agentId: string; interfaces: readonly string[]; language: string; notice: MonitoringNotice | null }, today: string): string | null {
  if (!AGENT_ID_PATTERN.test(a.agentId)) return 'agentId must be 3-64 lower-case letters, digits or dashes (a pseudonym, never a name)';
  if (a.interfaces.length === 0 || a.interfaces.length > 20) return 'interfaces: 1 to 20';
  for (const i of a.interfaces) if (normalizeInterface(i) !== i) return `interface ${JSON.stringify(i).slice(0, 90)} is not a normalised Asterisk interface (e.g. PJSIP/100)`;
  if (new Set(a.interfaces).size !== a.interfaces.length) return 'interfaces: each once';
  if (!LANGUAGE_PATTERN.test(a.language)) return 'language must be a language code (pl, en)';
  if (a.notice) {
    const { informedOn, documentVersion, documentSha256 } = a.notice;
    if (!isDay(informedOn)) return 'notice.informedOn must be a day (YYYY-MM-DD)';
    if (informedOn > today) return 'notice.informedOn may not be in the future';
    if (!/^[A-Za-z0-9._-]{1,32}$/.test(documentVersion)) return 'notice.documentVersion: 1-32 letters, digits, dots, dashes';
    if (!SHA256_PATTERN.test(documentSha256)) return 'notice.documentSha256 must be 64 lower-case hex digits';
  }
  return null;
}
