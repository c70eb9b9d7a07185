// One outcome per call: the ledger's open calls (what a restarted service must resume or
// close) and the invariant check auditors run. SQL shared by SQLite and PostgreSQL.
import type { SearchSqlStyle } from './sql-style.js';

/** The events that close a call; every call must end with exactly one of them. */
export const OUTCOME_EVENT_KINDS = ['call.continued', 'call.abandoned', 'call.failed'] as const;

/** Why a call whose channel vanished while no ConsentLine watched it was closed at reconcile. */
export const ENDED_WHILE_SERVICE_DOWN = 'ended_while_service_down';

/** A call the ledger holds open (no outcome yet), with the channel its `call.started` names. */
export interface OpenCall {
  readonly callId: string;
  readonly channelId: string;
  readonly startedAt: string;
  readonly flowId: string;
  readonly language: string | null;
}

export interface OutcomeCheckQuery {
  /**
   * A call with no outcome that started at or after this instant may still be in progress and
   * is not reported (ISO-8601). Calls with more than one outcome are reported whatever their age.
   */
  readonly settledBefore: string;
  /** Only calls started at or after (ISO-8601). */
  readonly from?: string;
  readonly limit: number;
}

export interface OutcomeFinding {
  readonly callId: string;
  readonly startedAt: string;
  readonly server: string | null;
  /** How many outcome events the call has: 0 or more than 1. */
  readonly outcomes: number;
}

export interface OutcomeCheck {
  readonly settledBefore: string;
  readonly findings: OutcomeFinding[];
  /** More findings than `limit` exist. */
  readonly truncated: boolean;
}

export interface OpenCallRow {
  call_id: string;
  started_at: string;
  flow_id: string;
  language: string | null;
  data: string;
}

export function openCallsSql(style: SearchSqlStyle): string {
  return `SELECT c.call_id, c.started_at, c.flow_id, c.language, e.data
    FROM calls c JOIN events e ON e.call_id = c.call_id AND e.kind = 'call.started'
    WHERE c.outcome IS NULL AND c.server = ${style.placeholder(1)}
    ORDER BY c.started_at`;
}

export function toOpenCalls(rows: readonly OpenCallRow[]): OpenCall[] {
  const calls: OpenCall[] = [];
  for (const r of rows) {
    let channelId: unknown;
    try {
      channelId = (JSON.parse(r.data) as { channelId?: unknown }).channelId;
    } catch {
      continue;
    }
    if (typeof channelId !== 'string') continue;
    calls.push({ callId: r.call_id, channelId, startedAt: r.started_at, flowId: r.flow_id, language: r.language });
  }
  return calls;
}

export function outcomeCheckSql(q: OutcomeCheckQuery, style: SearchSqlStyle): { sql: string; values: unknown[] } {
  const values: unknown[] = [...OUTCOME_EVENT_KINDS, q.settledBefore];
  const p = (n: number) => style.placeholder(n);
  const kinds = OUTCOME_EVENT_KINDS.map((_, i) => p(i + 1)).join(', ');
  const settled = p(OUTCOME_EVENT_KINDS.length + 1);
  let from = '';
  if (q.from !== undefined) {
    values.push(q.from);
    from = ` AND c.started_at >= ${p(values.length)}`;
  }
  values.push(q.limit + 1);
  const sql = `SELECT c.call_id AS "callId", c.started_at AS "startedAt", c.server AS server, count(e.seq) AS outcomes
    FROM calls c LEFT JOIN events e ON e.call_id = c.call_id AND e.kind IN (${kinds})
    WHERE TRUE${from}
    GROUP BY c.call_id, c.started_at, c.server
    HAVING count(e.seq) > 1 OR (count(e.seq) = 0 AND c.started_at < ${settled})
    ORDER BY c.started_at, c.call_id${style.idCollation}
    LIMIT ${p(values.length)}`;
  return { sql, values };
}

export function toOutcomeCheck(q: OutcomeCheckQuery, rows: readonly OutcomeFinding[]): OutcomeCheck {
  const findings = rows.slice(0, q.limit).map((r) => ({ ...r, outcomes: Number(r.outcomes) }));
  return { settledBefore: q.settledBefore, findings, truncated: rows.length > q.limit };
}

/**
 * How long a call may go without an outcome and still be in progress: the longest absolute
 * call time limit of the flows, plus a minute for the continue and the ledger write.
 */
export function inProgressGraceSeconds(flows: ReadonlyArray<{ readonly timeouts: { readonly callSeconds: number } }>): number {
  return Math.max(0, ...flows.map((f) => f.timeouts.callSeconds)) + 60;
}
