import type { PgQueryable } from '../db/pg.js';
import type { CallPage, CallSearch, DayStats, EvidenceQueries, StatsQuery, Timeline } from './queries.js';
import { callSearchSql, checkedTimeline, eventsByPages, nextDay, predecessorSeqs, toCallPage, toDayStats, type SearchSqlStyle, type StatsRow } from './queries-shared.js';
import { overviewSql, toOverviewRow, type OverviewQuery, type OverviewRow, type OverviewSqlRow } from './queries-overview.js';
import { openCallsSql, outcomeCheckSql, toOpenCalls, toOutcomeCheck, type OpenCall, type OpenCallRow, type OutcomeCheck, type OutcomeCheckQuery, type OutcomeFinding } from './outcomes.js';
import { EVENT_COLUMNS, toStoredEvent, type CallRow, type EventRow } from './sqlite-rows.js';
import type { EventRange } from './store.js';
import type { StoredEvent, VerifyResult } from './types.js';
import { verifyStoreRange, type VerifyRangeOptions } from './verify.js';

const PAGE = 2_000;
// call_id and flow_id sort bytewise, as in SQLite, whatever the database's collation.
const PG_STYLE: SearchSqlStyle = { placeholder: (n) => `$${n}`, idCollation: ' COLLATE "C"' };

const STATS_SQL = `SELECT c.flow_id AS "flowId", substr(c.started_at, 1, 10) AS day,
    count(*) AS calls,
    count(*) FILTER (WHERE f.notice_completed > 0) AS "noticeCompleted",
    count(*) FILTER (WHERE f.abandoned_in_notice > 0) AS "abandonedDuringNotice",
    count(*) FILTER (WHERE f.objections > 0) AS objections,
    coalesce(sum(f.clause_listens), 0) AS "clauseListens",
    count(*) FILTER (WHERE c.marketing = 'yes') AS "marketingYes",
    count(*) FILTER (WHERE c.marketing = 'no') AS "marketingNo",
    count(*) FILTER (WHERE c.recording = 'yes') AS recorded
  FROM calls c LEFT JOIN call_facts f ON f.call_id = c.call_id
  WHERE c.started_at >= $1 AND c.started_at < $2 AND ($3::text IS NULL OR c.flow_id = $3)
  GROUP BY c.flow_id, day
  ORDER BY substr(c.started_at, 1, 10) COLLATE "C", c.flow_id COLLATE "C"`;

/**
 * {@link EvidenceQueries} on the PostgreSQL evidence database: the same answers as
 * SqliteEvidenceQueries for the same ledger. `db` is a pool from createPgPool (its type
 * parsers give seq and counts as numbers and json as the stored text).
 */
export class PgEvidenceQueries implements EvidenceQueries {
  readonly #db: PgQueryable;

  constructor(db: PgQueryable) {
    this.#db = db;
  }

  async searchCalls(q: CallSearch): Promise<CallPage> {
    const { sql, values } = callSearchSql(q, PG_STYLE);
    return toCallPage((await this.#db.query<CallRow>(sql, values)).rows, q.limit);
  }

  async timeline(callId: string): Promise<Timeline | null> {
    const [call, events] = await Promise.all([
      this.#db.query<CallRow>('SELECT * FROM calls WHERE call_id = $1', [callId]),
      this.#db.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE call_id = $1 ORDER BY seq`, [callId]),
    ]);
    const stored = events.rows.map(toStoredEvent);
    const { rows } = await this.#db.query<{ seq: number; hash: string }>('SELECT seq, hash FROM events WHERE seq = ANY($1::bigint[])', [
      predecessorSeqs(stored),
    ]);
    return checkedTimeline(callId, call.rows[0], stored, new Map(rows.map((r) => [r.seq, r.hash])));
  }

  async stats(q: StatsQuery): Promise<DayStats[]> {
    const { rows } = await this.#db.query<StatsRow>(STATS_SQL, [q.fromDay, nextDay(q.toDay), q.flowId ?? null]);
    return rows.map(toDayStats);
  }

  async overview(q: OverviewQuery): Promise<OverviewRow[]> {
    const { sql, values } = overviewSql(q, PG_STYLE);
    return (await this.#db.query<OverviewSqlRow>(sql, values)).rows.map(toOverviewRow);
  }

  async eventsBySeq(seqs: readonly number[]): Promise<StoredEvent[]> {
    // A seq that is not a whole number matches no event (SQLite compares; bigint[] would refuse it).
    const wanted = seqs.filter((s) => Number.isSafeInteger(s));
    if (wanted.length === 0) return [];
    const { rows } = await this.#db.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE seq = ANY($1::bigint[]) ORDER BY seq`, [wanted]);
    return rows.map(toStoredEvent);
  }

  async openCalls(server: string): Promise<OpenCall[]> {
    return toOpenCalls((await this.#db.query<OpenCallRow>(openCallsSql(PG_STYLE), [server])).rows);
  }

  async outcomeCheck(q: OutcomeCheckQuery): Promise<OutcomeCheck> {
    const { sql, values } = outcomeCheckSql(q, PG_STYLE);
    return toOutcomeCheck(q, (await this.#db.query<OutcomeFinding>(sql, values)).rows);
  }

  verifyLedger(range: EventRange = {}, opts: VerifyRangeOptions = {}): Promise<VerifyResult> {
    return verifyStoreRange({ events: (r) => this.events(r) }, range, opts);
  }

  events(range: EventRange = {}): AsyncIterable<StoredEvent> {
    const readPage = async (from: number, to: number, limit: number) =>
      (await this.#db.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE seq >= $1 AND seq <= $2 ORDER BY seq LIMIT $3`, [from, to, limit])).rows;
    return eventsByPages(range, PAGE, readPage);
  }
}
