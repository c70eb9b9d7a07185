import pg from 'pg';
import { openPg, type OpenPgOptions, type PgPool } from '../db/pg.js';
import { withPgTransaction } from '../db/pg-transaction.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { canonicalBodyFromParts, GENESIS_HASH, linkHash } from './chain.js';
import { EvidenceError } from './errors.js';
import { GroupCommitter, type GroupCommitStats } from './group-commit.js';
import { applyEffects } from './pg-effects.js';
import { enqueueAppend, type PreparedAppend } from './prepare.js';
import type { ChainSlot } from './sqlite-batch-writer.js';
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

export interface PgEvidenceStoreOptions extends OpenPgOptions {
  readonly clock?: Clock;
  /** Most appends per transaction (default 1,000); 1 gives one transaction per event. */
  readonly maxBatch?: number;
}

const PAGE = 1_000;
const MAX_SEQ = Number.MAX_SAFE_INTEGER;

/**
 * The key of the advisory lock that serialises chain writers on one ledger (one schema).
 * Every instance computes the same key from the same schema name.
 */
export function ledgerLockName(schema: string | undefined): string {
  return `consentline.ledger:${schema ?? ''}`;
}

/**
 * Opens (creating and migrating if needed) the PostgreSQL evidence store, which several
 * ConsentLine instances may share.
 *
 * @example
 * const store = await openPgEvidenceStore({ url: 'postgres://consentline@db/consentline' });
 * const ev = await store.append({ callId: 'c1', kind: 'call.started', data: { flowId: 'main' } });
 */
export async function openPgEvidenceStore(opts: PgEvidenceStoreOptions): Promise<PgEvidenceStore> {
  const { pool } = await openPg(opts);
  try {
    return await PgEvidenceStore.create(pool, { ...opts, ownsPool: true });
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
}

/**
 * {@link EvidenceStore} on PostgreSQL. Appends are group-committed per process (like
 * SQLite); across processes each batch transaction takes a transaction-scoped advisory
 * lock on the ledger before it reads the head, so batches from every instance line up
 * one after another on one chain. The lock is held from the head read to the commit only:
 * the projection writes (subjects, calls) of a batch run before it, in the same
 * transaction. (A lock holder never waits on a row lock, so writers cannot deadlock on the
 * ledger lock; two instances patching the same call rows in opposite orders could, and
 * PostgreSQL would then fail one batch, as any failed commit does.)
 */
export class PgEvidenceStore implements EvidenceStore {
  readonly #pool: PgPool;
  readonly #ownsPool: boolean;
  readonly #clock: Clock;
  readonly #lockSql: string;
  readonly #lockOnlySql: string;
  readonly #committer: GroupCommitter<PreparedAppend, StoredEvent>;
  #closed = false;

  private constructor(pool: PgPool, clock: Clock, maxBatch: number, lockKey: string, ownsPool: boolean) {
    this.#pool = pool;
    this.#ownsPool = ownsPool;
    this.#clock = clock;
    // BEGIN and the lock go in one round trip (simple protocol, no parameters): the key is a
    // number computed once by the server from the ledger's name.
    this.#lockOnlySql = `SELECT pg_advisory_xact_lock(${lockKey})`;
    this.#lockSql = `BEGIN; ${this.#lockOnlySql}`;
    this.#committer = new GroupCommitter((items) => this.#commit(items), { maxBatch });
  }

  /** A store on an already migrated pool; closes the pool on close() only when it owns it. */
  static async create(
    pool: PgPool,
    opts: { schema?: string; clock?: Clock; maxBatch?: number; ownsPool?: boolean } = {},
  ): Promise<PgEvidenceStore> {
    const { rows } = await pool.query<{ key: string | number }>('SELECT hashtextextended($1, 0)::text AS key', [ledgerLockName(opts.schema)]);
    const key = String(rows[0]!.key);
    if (!/^-?\d+$/.test(key)) throw new Error(`unexpected lock key ${key}`);
    return new PgEvidenceStore(pool, opts.clock ?? systemClock, opts.maxBatch ?? 1_000, key, opts.ownsPool ?? false);
  }

  append(event: NewEvent, effects: AppendEffects = {}): Promise<StoredEvent> {
    return enqueueAppend(this.#committer, this.#closed, event, effects, this.#clock);
  }

  async callEvents(callId: string): Promise<StoredEvent[]> {
    const { rows } = await this.#pool.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE call_id = $1 ORDER BY seq`, [callId]);
    return rows.map(toStoredEvent);
  }

  async getCall(callId: string): Promise<CallSummary | null> {
    const { rows } = await this.#pool.query<CallRow>('SELECT * FROM calls WHERE call_id = $1', [callId]);
    return rows[0] ? toCallSummary(rows[0]) : null;
  }

  async *events(range: EventRange = {}): AsyncIterable<StoredEvent> {
    let next = range.fromSeq ?? -MAX_SEQ;
    const to = range.toSeq ?? MAX_SEQ;
    // Keyset pages rather than a server-side cursor: no connection or snapshot is held
    // between pages, so a long verify never pins a pool connection or old row versions.
    for (;;) {
      const { rows } = await this.#pool.query<EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM events WHERE seq >= $1 AND seq <= $2 ORDER BY seq LIMIT $3`,
        [next, to, PAGE],
      );
      for (const row of rows) yield toStoredEvent(row);
      const last = rows[rows.length - 1];
      if (rows.length < PAGE || !last) return;
      next = last.seq + 1;
    }
  }

  async head(): Promise<{ seq: number; hash: string } | null> {
    const { rows } = await this.#pool.query<{ seq: number; hash: string }>('SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1');
    return rows[0] ?? null;
  }

  verify(range?: EventRange): Promise<VerifyResult> {
    return verifyStoreRange(this, range);
  }

  async subjectByCommitment(commitment: string): Promise<SubjectRecord | null> {
    const { rows } = await this.#pool.query<SubjectRow>(
      'SELECT commitment, lookup_key, masked, e164, salt FROM subjects WHERE commitment = $1',
      [commitment],
    );
    return rows[0] ? toSubject(rows[0]) : null;
  }

  /**
   * Erases a subject: deletes the number and salt, and the caller's look-up key and masked
   * number from the call projection. The chained events stay and keep verifying.
   * Resolves false when no such subject exists.
   */
  async eraseSubject(commitment: string): Promise<boolean> {
    return this.#transaction(async (c) => {
      const { rows } = await c.query<{ call_id: string | null }>('DELETE FROM subjects WHERE commitment = $1 RETURNING call_id', [commitment]);
      const row = rows[0];
      if (!row) return false;
      if (row.call_id !== null) {
        await c.query('UPDATE calls SET caller_lookup = NULL, caller_masked = NULL WHERE call_id = $1', [row.call_id]);
      }
      return true;
    });
  }

  /** Batching figures since open, for metrics and the benchmark. */
  writeStats(): GroupCommitStats {
    return this.#committer.stats();
  }

  /** Waits for queued appends to commit, then closes the pool if this store opened it. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#committer.drain();
    if (this.#ownsPool) await this.#pool.end();
  }

  async #commit(items: readonly PreparedAppend[]): Promise<StoredEvent[]> {
    let slots: ChainSlot[];
    try {
      slots = await this.#writeBatch(items);
    } catch (err) {
      throw new EvidenceError(
        'EVIDENCE_APPEND_FAILED',
        `evidence batch of ${items.length} event(s) was rolled back: ${(err as Error).message}`,
        { cause: err },
      );
    }
    return items.map((it, i) => ({ ...slots[i]!, callId: it.callId, at: it.at, kind: it.kind, data: it.data }));
  }

  async #writeBatch(items: readonly PreparedAppend[]): Promise<ChainSlot[]> {
    const client = await this.#pool.connect();
    let healthy = true;
    try {
      const withEffects = items.filter((it) => it.effects.subject || it.effects.callOpen || it.effects.callPatch);
      await client.query(withEffects.length ? 'BEGIN' : this.#lockSql);
      try {
        if (withEffects.length) {
          // Projection writes need no chain position, so they run before the ledger lock and
          // keep the serialised section (head read, insert, commit) short.
          for (const it of withEffects) await applyEffects(client, it);
          await client.query(this.#lockOnlySql);
        }
        // Under the lock: everything committed by any writer before it is visible to this
        // statement's snapshot (a lock holder's commit is visible before its locks go).
        const head = (await client.query<{ seq: number; hash: string }>('SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1')).rows[0];
        let seq = head?.seq ?? 0;
        let prevHash = head?.hash ?? GENESIS_HASH;
        const slots: ChainSlot[] = [];
        const cols: unknown[][] = [[], [], [], [], [], [], []];
        for (const it of items) {
          seq += 1;
          const hash = linkHash(prevHash, canonicalBodyFromParts(seq, it.callId, it.at, it.kind, it.dataJson));
          slots.push({ seq, prevHash, hash });
          [seq, it.callId, it.at, it.kind, it.dataJson, prevHash, hash].forEach((v, i) => cols[i]!.push(v));
          prevHash = hash;
        }
        await client.query(
          `INSERT INTO events (${EVENT_COLUMNS})
           SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::json[], $6::text[], $7::text[])`,
          cols,
        );
        // The pool sets synchronous_commit=on: COMMIT returns once the WAL is flushed, which
        // is what an acknowledged append promises.
        await client.query('COMMIT');
        return slots;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {
          healthy = false;
        });
        throw err;
      }
    } catch (err) {
      // Anything but an error the server reported (a lost link, a timeout) leaves the client
      // unusable. After a lost COMMIT the batch may or may not have landed: its callers are
      // told it failed, and the next batch reads the real head, so the chain stays whole.
      if (!(err instanceof pg.DatabaseError)) healthy = false;
      throw err;
    } finally {
      client.release(!healthy);
    }
  }

  #transaction<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    return withPgTransaction(this.#pool, fn);
  }
}
