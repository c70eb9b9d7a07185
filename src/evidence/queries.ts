import type { EventRange } from './store.js';
import type { OpenCall, OutcomeCheck, OutcomeCheckQuery } from './outcomes.js';
import type { CallSummary, Outcome, StoredEvent, VerifyResult } from './types.js';
import type { VerifyRangeOptions } from './verify.js';

/** Where a page of calls ends; the API hands it out opaquely. */
export interface CallCursor {
  readonly startedAt: string;
  readonly callId: string;
}

/** Search filters; every one optional, all of them ANDed. Times are ISO-8601 UTC. */
export interface CallSearch {
  /** started_at >= from */
  readonly from?: string;
  /** started_at < to */
  readonly to?: string;
  readonly did?: string;
  /** The peppered HMAC of the caller's E.164 number: the raw number never reaches a query. */
  readonly callerLookup?: string;
  readonly flowId?: string;
  /** The language the call was served in (calls.language). */
  readonly language?: string;
  readonly outcome?: Outcome;
  readonly marketing?: 'yes' | 'no' | 'none';
  readonly recording?: 'yes' | 'no';
  readonly limit: number;
  readonly after?: CallCursor;
}

/** Newest first (started_at, then call id, both descending). */
export interface CallPage {
  readonly calls: CallSummary[];
  readonly next: CallCursor | null;
}

/**
 * One event of a timeline with its own check: `hash_mismatch` when the hash does not match
 * the event's body and prev hash, `prev_link_mismatch` when prev hash is not the stored hash
 * of seq − 1 (which may belong to another call), `prev_missing` when seq − 1 is gone.
 */
export type EventCheck = 'ok' | 'hash_mismatch' | 'prev_link_mismatch' | 'prev_missing';

export interface TimelineEvent extends StoredEvent {
  readonly check: EventCheck;
}

export interface Timeline {
  readonly callId: string;
  readonly call: CallSummary | null;
  readonly events: TimelineEvent[];
  /** The first event of the call's segment whose check failed, or null when all hold. */
  readonly firstBroken: number | null;
}

/** Counters for one flow on one UTC day (by the call's start). */
export interface DayStats {
  readonly flowId: string;
  readonly day: string;
  readonly calls: number;
  readonly noticeCompleted: number;
  readonly abandonedDuringNotice: number;
  /** Calls with at least one objection. */
  readonly objections: number;
  /** Times the information clause was played (all calls). */
  readonly clauseListens: number;
  readonly marketingYes: number;
  readonly marketingNo: number;
  readonly recorded: number;
}

export interface OverviewQuery {
  /** First day, YYYY-MM-DD (inclusive). */
  readonly fromDay: string;
  /** Last day, YYYY-MM-DD (inclusive). */
  readonly toDay: string;
  readonly flowId?: string;
  readonly language?: string;
}

/** One UTC day × flow × language. `open` calls have no outcome yet. */
export interface OverviewRow {
  readonly day: string;
  readonly flowId: string;
  /** The language the call was served in; null when none was chosen. */
  readonly language: string | null;
  readonly calls: number;
  readonly continued: number;
  readonly objected: number;
  readonly abandoned: number;
  readonly failed: number;
  readonly open: number;
  /** Times the information clause was played. */
  readonly clauseListens: number;
  readonly marketingYes: number;
  readonly marketingNo: number;
}

export interface StatsQuery {
  /** First day, YYYY-MM-DD (inclusive). */
  readonly fromDay: string;
  /** Last day, YYYY-MM-DD (inclusive). */
  readonly toDay: string;
  readonly flowId?: string;
}

/**
 * The read side the auditor and DPO API depends on. Async so that the PostgreSQL store can
 * implement the same contract: {@link SqliteEvidenceQueries} and {@link PgEvidenceQueries}.
 */
export interface EvidenceQueries {
  searchCalls(q: CallSearch): Promise<CallPage>;
  /** Null when the ledger holds neither a summary nor any event for the call. */
  timeline(callId: string): Promise<Timeline | null>;
  stats(q: StatsQuery): Promise<DayStats[]>;
  /** The console's overview: calls per day, flow and language with outcomes, clause listens and marketing answers. */
  overview(q: OverviewQuery): Promise<OverviewRow[]>;
  /** Events by seq (missing ones left out), in seq order. */
  eventsBySeq(seqs: readonly number[]): Promise<StoredEvent[]>;
  /** Verifies the chain (or a range), giving way to other work as it goes; `opts` for progress. */
  verifyLedger(range?: EventRange, opts?: VerifyRangeOptions): Promise<VerifyResult>;
  /** Events in seq order, read in pages, giving way to other work between pages. */
  events(range?: EventRange): AsyncIterable<StoredEvent>;
  /** Calls of one Asterisk server that have no outcome yet, oldest first. */
  openCalls(server: string): Promise<OpenCall[]>;
  /** Calls with no outcome (once settled) or with more than one: the one-outcome invariant. */
  outcomeCheck(q: OutcomeCheckQuery): Promise<OutcomeCheck>;
}
