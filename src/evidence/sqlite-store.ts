import type { Statement } from 'better-sqlite3';
import { openSqlite, type SqliteDatabase } from '../db/sqlite.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { EvidenceError } from './errors.js';
import { GroupCommitter, type GroupCommitStats } from './group-commit.js';
import { enqueueAppend, type PreparedAppend } from './prepare.js';
import { chainSlots, SqliteBatchWriter, type ChainSlot, type WireAppend } from './sqlite-batch-writer.js';
import { SqliteWriterThread } from './sqlite-writer-thread.js';
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
  /**
   * Commit on a writer thread (default) so that fsync never blocks the event loop that runs
   * the calls; `false` commits inline (tools, tests of the inline path).
   */
  readonly writerThread?: boolean;
}

const PAGE = 1_000;
/** Appends that go to the writer thread at once while it has room (see GroupCommitOptions.flushAt). */
const THREAD_FLUSH_AT = 100;
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
  const writer =
    opts.writerThread === false || opts.path === ':memory:' ? new SqliteBatchWriter(db) : new SqliteWriterThread(opts.path);
  if (writer instanceof SqliteWriterThread) {
    // The first appends would otherwise wait for the thread to boot (a few hundred ms under tsx).
    try {
      await writer.ready;
    } catch (err) {
      db.close();
      throw err;
    }
  }
  return new SqliteEvidenceStore(db, opts.clock ?? systemClock, opts.maxBatch ?? 1_000, writer);
}

/** {@link EvidenceStore} on one SQLite file; the single writer is this process's group committer. */
export class SqliteEvidenceStore implements EvidenceStore {
  readonly #db: SqliteDatabase;
  readonly #clock: Clock;
  readonly #st: ReturnType<typeof prepareStatements>;
  readonly #committer: GroupCommitter<PreparedAppend, StoredEvent>;
  readonly #writer: SqliteBatchWriter | SqliteWriterThread;
  #closed = false;

  constructor(db: SqliteDatabase, clock: Clock, maxBatch: number, writer: SqliteBatchWriter | SqliteWriterThread = new SqliteBatchWriter(db)) {
    this.#db = db;
    this.#clock = clock;
    this.#st = prepareStatements(db);
    this.#writer = writer;
    // The writer thread takes batches in order, so one may commit while the next is built;
    // a burst of appends goes over in parts of THREAD_FLUSH_AT for that to happen.
    const threaded = writer instanceof SqliteWriterThread;
    this.#committer = new GroupCommitter((items) => this.#commit(items), {
      maxBatch,
      ...(threaded ? { maxInFlight: 2, flushAt: THREAD_FLUSH_AT } : {}),
    });
  }

  append(event: NewEvent, effects: AppendEffects = {}): Promise<StoredEvent> {
    return enqueueAppend(this.#committer, this.#closed, event, effects, this.#clock);
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
    if (this.#writer instanceof SqliteWriterThread) await this.#writer.close();
    this.#db.close();
  }

  async #commit(items: readonly PreparedAppend[]): Promise<StoredEvent[]> {
    let slots: ChainSlot[];
    try {
      slots = chainSlots(this.#writer instanceof SqliteWriterThread ? await this.#writer.write(items.map(toWire)) : this.#writer.write(items));
    } catch (err) {
      throw new EvidenceError(
        'EVIDENCE_APPEND_FAILED',
        `evidence batch of ${items.length} event(s) was rolled back: ${(err as Error).message}`,
        { cause: err },
      );
    }
    return items.map((it, i) => ({ ...slots[i]!, callId: it.callId, at: it.at, kind: it.kind, data: it.data }));
  }
}

function toWire(it: PreparedAppend): WireAppend {
  const { callId, at, kind, dataJson, effects } = it;
  return effects.subject || effects.callOpen || effects.callPatch ? { callId, at, kind, dataJson, effects } : { callId, at, kind, dataJson };
}

function prepareStatements(db: SqliteDatabase) {
  const st = <T extends unknown[] | {} = unknown[]>(sql: string): Statement<T> => db.prepare<T>(sql);
  return {
    head: st('SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1'),
    page: st(`SELECT ${EVENT_COLUMNS} FROM events WHERE seq >= ? AND seq <= ? ORDER BY seq LIMIT ?`),
    callEvents: st(`SELECT ${EVENT_COLUMNS} FROM events WHERE call_id = ? ORDER BY seq`),
    getCall: st('SELECT * FROM calls WHERE call_id = ?'),
    subject: st('SELECT commitment, lookup_key, masked, e164, salt FROM subjects WHERE commitment = ?'),
    subjectCall: st('SELECT call_id FROM subjects WHERE commitment = ?'),
    deleteSubject: st('DELETE FROM subjects WHERE commitment = ?'),
    clearCaller: st('UPDATE calls SET caller_lookup = NULL, caller_masked = NULL WHERE call_id = ?'),
  };
}
