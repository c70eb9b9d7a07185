import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from '../db/sqlite.js';
import { GENESIS_HASH, hashEvent } from './chain.js';
import type { CallPage, CallSearch, DayStats, EventCheck, EvidenceQueries, StatsQuery, Timeline } from './queries.js';
import { EVENT_COLUMNS, toCallSummary, toStoredEvent, type CallRow, type EventRow } from './sqlite-rows.js';
import type { EventRange } from './store.js';
import type { StoredEvent, VerifyResult } from './types.js';
import { verifyStoreRange } from './verify.js';

const PAGE = 2_000;

/** {@link EvidenceQueries} on the SQLite evidence file (the store's own connection). */
export class SqliteEvidenceQueries implements EvidenceQueries {
  readonly #db: SqliteDatabase;
  readonly #searches = new Map<string, Statement<Record<string, unknown>, CallRow>>();
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
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: q.limit + 1 };
    const eq = (column: string, name: string, value: unknown) => {
      if (value === undefined) return;
      where.push(`${column} = @${name}`);
      params[name] = value;
    };
    eq('caller_lookup', 'caller', q.callerLookup);
    eq('did', 'did', q.did);
    eq('flow_id', 'flow', q.flowId);
    eq('outcome', 'outcome', q.outcome);
    eq('marketing', 'marketing', q.marketing);
    eq('recording', 'recording', q.recording);
    if (q.from !== undefined) {
      where.push('started_at >= @from');
      params.from = q.from;
    }
    if (q.to !== undefined) {
      where.push('started_at < @to');
      params.to = q.to;
    }
    if (q.after) {
      // Keyset: the plain bound lets the index range-scan, the OR breaks ties by call id.
      where.push('started_at <= @cs AND (started_at < @cs OR call_id < @cc)');
      params.cs = q.after.startedAt;
      params.cc = q.after.callId;
    }
    const sql = `SELECT * FROM calls${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY started_at DESC, call_id DESC LIMIT @limit`;
    let st = this.#searches.get(sql);
    if (!st) {
      st = this.#db.prepare<Record<string, unknown>, CallRow>(sql);
      this.#searches.set(sql, st);
    }
    const rows = st.all(params);
    const more = rows.length > q.limit;
    const page = more ? rows.slice(0, q.limit) : rows;
    const last = page[page.length - 1];
    return {
      calls: page.map(toCallSummary),
      next: more && last ? { startedAt: last.started_at, callId: last.call_id } : null,
    };
  }

  async timeline(callId: string): Promise<Timeline | null> {
    const row = this.#st.call.get(callId);
    const events = this.#st.callEvents.all(callId).map(toStoredEvent);
    if (!row && events.length === 0) return null;
    const prevSeqs = events.map((e) => e.seq - 1).filter((s) => s >= 1);
    const stored = new Map(this.#st.hashes.all(JSON.stringify(prevSeqs)).map((r) => [r.seq, r.hash]));
    let firstBroken: number | null = null;
    const checked = events.map((e) => {
      const check = checkEvent(e, e.seq === 1 ? GENESIS_HASH : stored.get(e.seq - 1));
      if (check !== 'ok' && firstBroken === null) firstBroken = e.seq;
      return { ...e, check };
    });
    return { callId, call: row ? toCallSummary(row) : null, events: checked, firstBroken };
  }

  async stats(q: StatsQuery): Promise<DayStats[]> {
    const rows = this.#st.stats.all({ from: q.fromDay, to: nextDay(q.toDay), flow: q.flowId ?? null });
    return rows.map((r) => ({ ...r, marketingYes: r.marketingYes ?? 0, marketingNo: r.marketingNo ?? 0, recorded: r.recorded ?? 0 }));
  }

  async eventsBySeq(seqs: readonly number[]): Promise<StoredEvent[]> {
    if (seqs.length === 0) return [];
    return this.#st.bySeq.all(JSON.stringify(seqs)).map(toStoredEvent);
  }

  verifyLedger(range: EventRange = {}): Promise<VerifyResult> {
    return verifyStoreRange({ events: (r) => this.#events(r ?? {}) }, range);
  }

  /**
   * Events in seq order by keyset pages, giving the event loop a turn between pages: the
   * reads are synchronous, so a long verification would otherwise hold up every request.
   */
  async *#events(range: EventRange): AsyncIterable<StoredEvent> {
    let next = range.fromSeq ?? -Number.MAX_SAFE_INTEGER;
    const to = range.toSeq ?? Number.MAX_SAFE_INTEGER;
    for (;;) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      const rows = this.#st.page.all(next, to, PAGE);
      for (const row of rows) yield toStoredEvent(row);
      const last = rows[rows.length - 1];
      if (rows.length < PAGE || !last) return;
      next = last.seq + 1;
    }
  }
}

interface StatsRow {
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

/** The day after a YYYY-MM-DD day, as an exclusive ISO bound. */
function nextDay(day: string): string {
  const t = Date.parse(`${day}T00:00:00.000Z`) + 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}
