// What SqliteEvidenceQueries and PgEvidenceQueries share: the search SQL (in each engine's
// placeholder style), the page cut, the timeline checks and the stats rows.
import { GENESIS_HASH, hashEvent } from './chain.js';
import type { CallPage, CallSearch, DayStats, EventCheck, Timeline } from './queries.js';
import { toCallSummary, toStoredEvent, type CallRow, type EventRow } from './sqlite-rows.js';
import type { EventRange } from './store.js';
import type { SearchSqlStyle } from './sql-style.js';
import type { StoredEvent } from './types.js';

export type { SearchSqlStyle } from './sql-style.js';

/**
 * The call search as SQL and its values. Its text depends only on which filters are set,
 * so SQLite can keep one prepared statement per shape.
 */
export function callSearchSql(q: CallSearch, style: SearchSqlStyle): { sql: string; values: unknown[] } {
  const where: string[] = [];
  const values: unknown[] = [];
  const param = (value: unknown): string => {
    values.push(value);
    return style.placeholder(values.length);
  };
  const eq = (column: string, value: unknown) => {
    if (value !== undefined) where.push(`${column} = ${param(value)}`);
  };
  eq('caller_lookup', q.callerLookup);
  eq('did', q.did);
  eq('flow_id', q.flowId);
  eq('language', q.language);
  eq('outcome', q.outcome);
  eq('marketing', q.marketing);
  eq('recording', q.recording);
  if (q.from !== undefined) where.push(`started_at >= ${param(q.from)}`);
  if (q.to !== undefined) where.push(`started_at < ${param(q.to)}`);
  const id = `call_id${style.idCollation}`;
  if (q.after) {
    // Keyset: the plain bound lets the index range-scan, the OR breaks ties by call id.
    const cs = param(q.after.startedAt);
    where.push(`started_at <= ${cs} AND (started_at < ${cs} OR ${id} < ${param(q.after.callId)})`);
  }
  const limit = param(q.limit + 1);
  const sql = `SELECT * FROM calls${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY started_at DESC, ${id} DESC LIMIT ${limit}`;
  return { sql, values };
}

/** A page from up to limit + 1 rows: the extra row only says that there is more. */
export function toCallPage(rows: readonly CallRow[], limit: number): CallPage {
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  const last = page[page.length - 1];
  return {
    calls: page.map(toCallSummary),
    next: more && last ? { startedAt: last.started_at, callId: last.call_id } : null,
  };
}

/** The seqs whose stored hashes a timeline of these events needs (each event's predecessor). */
export function predecessorSeqs(events: readonly StoredEvent[]): number[] {
  return events.map((e) => e.seq - 1).filter((s) => s >= 1);
}

/** A call's timeline with each event checked against its body and its stored predecessor. */
export function checkedTimeline(
  callId: string,
  row: CallRow | undefined,
  events: readonly StoredEvent[],
  storedHashes: ReadonlyMap<number, string>,
): Timeline | null {
  if (!row && events.length === 0) return null;
  let firstBroken: number | null = null;
  const checked = events.map((e) => {
    const check = checkEvent(e, e.seq === 1 ? GENESIS_HASH : storedHashes.get(e.seq - 1));
    if (check !== 'ok' && firstBroken === null) firstBroken = e.seq;
    return { ...e, check };
  });
  return { callId, call: row ? toCallSummary(row) : null, events: checked, firstBroken };
}

function checkEvent(e: StoredEvent, storedPrev: string | undefined): EventCheck {
  let recomputed: string | null;
  try {
    recomputed = hashEvent(e.prevHash, e);
  } catch {
    recomputed = null;
  }
  if (recomputed !== e.hash) return 'hash_mismatch';
  if (storedPrev === undefined) return 'prev_missing';
  return storedPrev === e.prevHash ? 'ok' : 'prev_link_mismatch';
}

/** A stats row as either engine returns it (SQLite's sum over no true rows is null). */
export interface StatsRow {
  flowId: string;
  day: string;
  calls: number;
  noticeCompleted: number;
  abandonedDuringNotice: number;
  objections: number;
  clauseListens: number;
  marketingYes: number | null;
  marketingNo: number | null;
  recorded: number | null;
}

export function toDayStats(r: StatsRow): DayStats {
  return { ...r, marketingYes: r.marketingYes ?? 0, marketingNo: r.marketingNo ?? 0, recorded: r.recorded ?? 0 };
}

/** The day after a YYYY-MM-DD day, as an exclusive ISO bound. */
export function nextDay(day: string): string {
  const t = Date.parse(`${day}T00:00:00.000Z`) + 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}

/**
 * Events of a range in seq order, read by keyset pages (no cursor, so nothing is held
 * between pages). `readPage` gives up to `limit` events with from <= seq <= to, in order.
 */
export async function* eventsByPages(
  range: EventRange,
  pageSize: number,
  readPage: (from: number, to: number, limit: number) => Promise<readonly EventRow[]>,
): AsyncIterable<StoredEvent> {
  let next = range.fromSeq ?? -Number.MAX_SAFE_INTEGER;
  const to = range.toSeq ?? Number.MAX_SAFE_INTEGER;
  for (;;) {
    const rows = await readPage(next, to, pageSize);
    for (const row of rows) yield toStoredEvent(row);
    const last = rows[rows.length - 1];
    if (rows.length < pageSize || !last) return;
    next = last.seq + 1;
  }
}
