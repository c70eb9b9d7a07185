import type { Statement } from 'better-sqlite3';
import { openSqlite, type SqliteDatabase } from '../db/sqlite.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { canonicalBodyFromParts, GENESIS_HASH, linkHash } from './chain.js';
import { EvidenceError } from './errors.js';
import { GroupCommitter, type GroupCommitStats } from './group-commit.js';
import { prepareAppend, type PreparedAppend } from './prepare.js';
import {
  EVENT_COLUMNS,
  toCallSummary,
  toStoredEvent,
  toSubject,
  type CallRow,
  type EventRow,
  type SubjectRow,
} from './sqlite-rows.js';
import type { AppendEffects, EventRange, EvidenceStore } from './store.js';
import type { CallSummary, NewEvent, StoredEvent, SubjectRecord, VerifyResult } from './types.js';
import { verifyStoreRange } from './verify.js';

export interface SqliteEvidenceStoreOptions {
  readonly path: string;
  readonly clock?: Clock;
  /** Defaults to the repository's migrations/sqlite. */
  readonly migrationsDir?: string;
  /** Refuse to create a new database file. */
  readonly mustExist?: boolean;
  /** Most appends per transaction (default 1,000); 1 gives one transaction per event. */
  readonly maxBatch?: number;
}

const PAGE = 1_000;
const MAX_SEQ = Number.MAX_SAFE_INTEGER;

/**
 * Opens (creating and migrating if needed) the SQLite evidence store.
 *
 * @example
 * const store = await openSqliteEvidenceStore({ path: './data/consentline.sqlite' });
 * const ev = await store.append({ callId: 'c1', kind: 'call.started', data: { flowId: 'main' } });
 */
export async function openSqliteEvidenceStore(opts: SqliteEvidenceStoreOptions): Promise<SqliteEvidenceStore> {
  const { db } = openSqlite({
    path: opts.path,
    ...(opts.migrationsDir === undefined ? {} : { migrationsDir: opts.migrationsDir }),
    ...(opts.mustExist === undefined ? {} : { mustExist: opts.mustExist }),
  });
  return new SqliteEvidenceStore(db, opts.clock ?? systemClock, opts.maxBatch ?? 1_000);
}

/** {@link EvidenceStore} on one SQLite file; the single writer is this process's group committer. */
export class SqliteEvidenceStore implements EvidenceStore {
  readonly #db: SqliteDatabase;
  readonly #clock: Clock;
  readonly #st: ReturnType<typeof prepareStatements>;
  readonly #committer: GroupCommitter<PreparedAppend, StoredEvent>;
  readonly #writeBatch: (items: readonly PreparedAppend[]) => StoredEvent[];
  #closed = false;

  constructor(db: SqliteDatabase, clock: Clock, maxBatch: number) {
    this.#db = db;
    this.#clock = clock;
    this.#st = prepareStatements(db);
    const tx = db.transaction((items: readonly PreparedAppend[]) => this.#insertBatch(items));
    this.#writeBatch = (items) => tx.immediate(items);
    this.#committer = new GroupCommitter((items) => this.#commit(items), { maxBatch });
  }

  append(event: NewEvent, effects: AppendEffects = {}): Promise<StoredEvent> {
    if (this.#closed) return Promise.reject(new EvidenceError('EVIDENCE_STORE_CLOSED', 'the evidence store is closed'));
    let prepared: PreparedAppend;
    try {
      prepared = prepareAppend(event, effects, this.#clock);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#committer.submit(prepared);
  }

  async callEvents(callId: string): Promise<StoredEvent[]> {
    return (this.#st.callEvents.all(callId) as EventRow[]).map(toStoredEvent);
  }

  async getCall(callId: string): Promise<CallSummary | null> {
    const row = this.#st.getCall.get(callId) as CallRow | undefined;
    return row ? toCallSummary(row) : null;
  }

  async *events(range: EventRange = {}): AsyncIterable<StoredEvent> {
    let next = range.fromSeq ?? -MAX_SEQ;
    const to = range.toSeq ?? MAX_SEQ;
    // Keyset pages rather than a cursor: an open better-sqlite3 iterator would block the
    // connection for appends while a long verify runs.
    for (;;) {
      const rows = this.#st.page.all(next, to, PAGE) as EventRow[];
      for (const row of rows) yield toStoredEvent(row);
      const last = rows[rows.length - 1];
      if (rows.length < PAGE || !last) return;
      next = last.seq + 1;
    }
  }

  async head(): Promise<{ seq: number; hash: string } | null> {
    return (this.#st.head.get() as { seq: number; hash: string } | undefined) ?? null;
  }

  verify(range?: EventRange): Promise<VerifyResult> {
    return verifyStoreRange(this, range);
  }

  async subjectByCommitment(commitment: string): Promise<SubjectRecord | null> {
    const row = this.#st.subject.get(commitment) as SubjectRow | undefined;
    return row ? toSubject(row) : null;
  }

  /**
   * Erases a subject: deletes the number and salt, and the caller's look-up key and masked
   * number from the call projection. The chained events stay and keep verifying.
   * Resolves false when no such subject exists.
   */
  async eraseSubject(commitment: string): Promise<boolean> {
    return this.#db.transaction(() => {
      const row = this.#st.subjectCall.get(commitment) as { call_id: string | null } | undefined;
      if (!row) return false;
      this.#st.deleteSubject.run(commitment);
      if (row.call_id !== null) this.#st.clearCaller.run(row.call_id);
      return true;
    }).immediate();
  }

  /** Batching figures since open, for metrics and the benchmark. */
  writeStats(): GroupCommitStats {
    return this.#committer.stats();
  }

  /** Waits for queued appends to commit, then closes the file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#committer.drain();
    this.#db.close();
  }

  #commit(items: readonly PreparedAppend[]): StoredEvent[] {
    try {
      return this.#writeBatch(items);
    } catch (err) {
      throw new EvidenceError(
        'EVIDENCE_APPEND_FAILED',
        `evidence batch of ${items.length} event(s) was rolled back: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }

  // Runs inside the IMMEDIATE transaction: the head is read under the write lock, so even
  // a second process on the same file cannot fork the chain.
  #insertBatch(items: readonly PreparedAppend[]): StoredEvent[] {
    const head = this.#st.head.get() as { seq: number; hash: string } | undefined;
    let seq = head?.seq ?? 0;
    let prevHash = head?.hash ?? GENESIS_HASH;
    const out: StoredEvent[] = [];
    for (const it of items) {
      seq += 1;
      const hash = linkHash(prevHash, canonicalBodyFromParts(seq, it.callId, it.at, it.kind, it.dataJson));
      this.#st.insertEvent.run(seq, it.callId, it.at, it.kind, it.dataJson, prevHash, hash);
      this.#applyEffects(it);
      out.push({ seq, callId: it.callId, at: it.at, kind: it.kind, data: it.data, prevHash, hash });
      prevHash = hash;
    }
    return out;
  }

  #applyEffects(it: PreparedAppend): void {
    const { subject, callOpen, callPatch } = it.effects;
    if (subject) {
      this.#st.insertSubject.run(subject.commitment, subject.lookupKey, subject.masked, subject.e164, subject.salt, it.callId);
    }
    if (callOpen) {
      this.#st.openCall.run({
        callId: callOpen.callId,
        startedAt: callOpen.startedAt,
        flowId: callOpen.flowId,
        did: callOpen.did,
        callerLookup: subject?.lookupKey ?? null,
        callerMasked: subject?.masked ?? null,
        language: callOpen.language,
        legalBasis: callOpen.legalBasis,
        server: callOpen.server,
      });
    } else if (subject) {
      this.#st.setCaller.run(subject.lookupKey, subject.masked, it.callId);
    }
    if (callPatch) {
      const flag = (v: unknown): number => (v === undefined ? 0 : 1);
      this.#st.patchCall.run({
        callId: it.callId,
        setOutcome: flag(callPatch.outcome),
        outcome: callPatch.outcome ?? null,
        setRecording: flag(callPatch.recording),
        recording: callPatch.recording ?? null,
        setMarketing: flag(callPatch.marketing),
        marketing: callPatch.marketing ?? null,
        setEndedAt: flag(callPatch.endedAt),
        endedAt: callPatch.endedAt ?? null,
        setLanguage: flag(callPatch.language),
        language: callPatch.language ?? null,
      });
    }
  }
}

function prepareStatements(db: SqliteDatabase) {
  const st = <T extends unknown[] | {} = unknown[]>(sql: string): Statement<T> => db.prepare<T>(sql);
  return {
    head: st('SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1'),
    insertEvent: st(`INSERT INTO events (${EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`),
    page: st(`SELECT ${EVENT_COLUMNS} FROM events WHERE seq >= ? AND seq <= ? ORDER BY seq LIMIT ?`),
    callEvents: st(`SELECT ${EVENT_COLUMNS} FROM events WHERE call_id = ? ORDER BY seq`),
    getCall: st('SELECT * FROM calls WHERE call_id = ?'),
    subject: st('SELECT commitment, lookup_key, masked, e164, salt FROM subjects WHERE commitment = ?'),
    subjectCall: st('SELECT call_id FROM subjects WHERE commitment = ?'),
    insertSubject: st(
      'INSERT INTO subjects (commitment, lookup_key, masked, e164, salt, call_id) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    deleteSubject: st('DELETE FROM subjects WHERE commitment = ?'),
    setCaller: st('UPDATE calls SET caller_lookup = ?, caller_masked = ? WHERE call_id = ?'),
    clearCaller: st('UPDATE calls SET caller_lookup = NULL, caller_masked = NULL WHERE call_id = ?'),
    openCall: st<{}>(
      `INSERT INTO calls (call_id, started_at, flow_id, did, caller_lookup, caller_masked, language, legal_basis, server)
       VALUES (@callId, @startedAt, @flowId, @did, @callerLookup, @callerMasked, @language, @legalBasis, @server)`,
    ),
    patchCall: st<{}>(
      `UPDATE calls SET
         outcome = CASE WHEN @setOutcome THEN @outcome ELSE outcome END,
         recording = CASE WHEN @setRecording THEN @recording ELSE recording END,
         marketing = CASE WHEN @setMarketing THEN @marketing ELSE marketing END,
         ended_at = CASE WHEN @setEndedAt THEN @endedAt ELSE ended_at END,
         language = CASE WHEN @setLanguage THEN @language ELSE language END
       WHERE call_id = @callId`,
    ),
  };
}
