import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from '../db/sqlite.js';
import type { CallPage, CallSearch, DayStats, EvidenceQueries, StatsQuery, Timeline } from './queries.js';
import { callSearchSql, checkedTimeline, eventsByPages, nextDay, predecessorSeqs, toCallPage, toDayStats, type SearchSqlStyle, type StatsRow } from './queries-shared.js';
import { overviewSql, toOverviewRow, type OverviewQuery, type OverviewRow, type OverviewSqlRow } from './queries-overview.js';
import { openCallsSql, outcomeCheckSql, toOpenCalls, toOutcomeCheck, type OpenCall, type OpenCallRow, type OutcomeCheck, type OutcomeCheckQuery, type OutcomeFinding } from './outcomes.js';
import { EVENT_COLUMNS, toStoredEvent, type CallRow, type EventRow } from './sqlite-rows.js';
import type { EventRange } from './store.js';
import type { StoredEvent, VerifyResult } from './types.js';
import { verifyStoreRange, type VerifyRangeOptions } from './verify.js';

const PAGE = 2_000;
const SQLITE_STYLE: SearchSqlStyle = { placeholder: (n) => `@p${n}`, idCollation: '' };

/** {@link EvidenceQueries} on the SQLite evidence file (the store's own connection). */
export class SqliteEvidenceQueries implements EvidenceQueries {
  readonly #db: SqliteDatabase;
  readonly #searches = new Map<string, Statement<Record<string, unknown>, CallRow>>();
  readonly #overviews = new Map<string, Statement<Record<string, unknown>, OverviewSqlRow>>();
  readonly #st;

  /** `db` may be its own connection to the evidence file: reads see what the writer committed. */
  constructor(db: SqliteDatabase) {
    this.#db = db;
    this.#st = {
      call: db.prepare<[string], CallRow>('SELECT * FROM calls WHERE call_id = ?'),
      callEvents: db.prepare<[string], EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE call_id = ? ORDER BY seq`),
      hashes: db.prepare<[string], { seq: number; hash: string }>(
        'SELECT seq, hash FROM events WHERE seq IN (SELECT value FROM json_each(?))',
      ),
      page: db.prepare<[number, number, number], EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM events WHERE seq >= ? AND seq <= ? ORDER BY seq LIMIT ?`,
      ),
      bySeq: db.prepare<[string], EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM events WHERE seq IN (SELECT value FROM json_each(?)) ORDER BY seq`,
      ),
      openCalls: db.prepare<[string], OpenCallRow>(openCallsSql({ placeholder: () => '?', idCollation: '' })),
      stats: db.prepare<{ from: string; to: string; flow: string | null }, StatsRow>(
        `SELECT c.flow_id AS flowId, substr(c.started_at, 1, 10) AS day,
           count(*) AS calls,
           coalesce(sum(f.notice_completed > 0), 0) AS noticeCompleted,
           coalesce(sum(f.abandoned_in_notice > 0), 0) AS abandonedDuringNotice,
           coalesce(sum(f.objections > 0), 0) AS objections,
           coalesce(sum(f.clause_listens), 0) AS clauseListens,
           sum(c.marketing = 'yes') AS marketingYes,
           sum(c.marketing = 'no') AS marketingNo,
           sum(c.recording = 'yes') AS recorded
         FROM calls c LEFT JOIN call_facts f ON f.call_id = c.call_id
         WHERE c.started_at >= @from AND c.started_at < @to AND (@flow IS NULL OR c.flow_id = @flow)
         GROUP BY c.flow_id, day
         ORDER BY day, c.flow_id`,
      ),
    };
  }

  async searchCalls(q: CallSearch): Promise<CallPage> {
    const { sql, values } = callSearchSql(q, SQLITE_STYLE);
    let st = this.#searches.get(sql);
    if (!st) {
      st = this.#db.prepare<Record<string, unknown>, CallRow>(sql);
      this.#searches.set(sql, st);
    }
    return toCallPage(st.all(Object.fromEntries(values.map((v, i) => [`p${i + 1}`, v]))), q.limit);
  }

  async timeline(callId: string): Promise<Timeline | null> {
    const row = this.#st.call.get(callId);
    const events = this.#st.callEvents.all(callId).map(toStoredEvent);
    const stored = new Map(this.#st.hashes.all(JSON.stringify(predecessorSeqs(events))).map((r) => [r.seq, r.hash]));
    return checkedTimeline(callId, row, events, stored);
  }

  async stats(q: StatsQuery): Promise<DayStats[]> {
    return this.#st.stats.all({ from: q.fromDay, to: nextDay(q.toDay), flow: q.flowId ?? null }).map(toDayStats);
  }

  async overview(q: OverviewQuery): Promise<OverviewRow[]> {
    const { sql, values } = overviewSql(q, SQLITE_STYLE);
    let st = this.#overviews.get(sql);
    if (!st) {
      st = this.#db.prepare<Record<string, unknown>, OverviewSqlRow>(sql);
      this.#overviews.set(sql, st);
    }
    return st.all(Object.fromEntries(values.map((v, i) => [`p${i + 1}`, v]))).map(toOverviewRow);
  }

  async eventsBySeq(seqs: readonly number[]): Promise<StoredEvent[]> {
    if (seqs.length === 0) return [];
    return this.#st.bySeq.all(JSON.stringify(seqs)).map(toStoredEvent);
  }

  async openCalls(server: string): Promise<OpenCall[]> {
    return toOpenCalls(this.#st.openCalls.all(server));
  }

  async outcomeCheck(q: OutcomeCheckQuery): Promise<OutcomeCheck> {
    const { sql, values } = outcomeCheckSql(q, SQLITE_STYLE);
    const rows = this.#db.prepare<Record<string, unknown>, OutcomeFinding>(sql).all(Object.fromEntries(values.map((v, i) => [`p${i + 1}`, v])));
    return toOutcomeCheck(q, rows);
  }

  verifyLedger(range: EventRange = {}, opts: VerifyRangeOptions = {}): Promise<VerifyResult> {
    return verifyStoreRange({ events: (r) => this.events(r) }, range, opts);
  }

  events(range: EventRange = {}): AsyncIterable<StoredEvent> {
    // The reads are synchronous: each page waits for a turn of the event loop, so a long
    // verification does not hold up every request.
    const readPage = async (from: number, to: number, limit: number) => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      return this.#st.page.all(from, to, limit);
    };
    return eventsByPages(range, PAGE, readPage);
  }
}
