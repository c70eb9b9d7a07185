import { numbered, type PgQueryable } from '../../db/pg.js';
import { pgLedgerLookups } from '../../evidence/ledger-lookups.js';
import {
  claimableWhere,
  INSERT_COLUMNS,
  insertValues,
  LostClaimError,
  patchColumns,
  spoolValues,
  SQL,
  type Claimant,
  type ClaimHold,
  type NewRecording,
  type RecordingPatch,
  type RecordingRepository,
  type RecordingRow,
  type RecordingState,
} from './repo.js';

const PG = Object.fromEntries(Object.entries(SQL).map(([k, sql]) => [k, numbered(sql)])) as Record<keyof typeof SQL, string>;
const LIVE = `state NOT IN ('done', 'deleted', 'failed')`;
const INSERT = `INSERT INTO recordings (${INSERT_COLUMNS}) VALUES (${INSERT_COLUMNS.split(',').map((_, i) => `$${i + 1}`).join(', ')})
  ON CONFLICT (source, source_name) WHERE ${LIVE} DO NOTHING RETURNING *`;
// SKIP LOCKED: a row another instance is claiming right now is passed over, not waited for; the
// lock's recheck of the filter drops a row whose claim that instance just committed.
const CLAIM = `UPDATE recordings SET claimed_by = $1, claimed_until = $3, updated_at = $2
  WHERE id = (SELECT id FROM recordings WHERE ${claimableWhere('$2', '$4')}
              ORDER BY coalesce(next_attempt_at, created_at) LIMIT 1 FOR UPDATE SKIP LOCKED)
  RETURNING *`;

type PgRow = Omit<RecordingRow, 'plaintext_bytes' | 'ciphertext_bytes'> & {
  plaintext_bytes: number | string | null;
  ciphertext_bytes: number | string | null;
};

/** BIGINT comes back as text from a pool without ConsentLine's type parsers. */
function toRow(r: PgRow): RecordingRow {
  const n = (v: number | string | null): number | null => (v === null ? null : Number(v));
  return { ...r, plaintext_bytes: n(r.plaintext_bytes), ciphertext_bytes: n(r.ciphertext_bytes) };
}

/**
 * {@link RecordingRepository} on PostgreSQL (migration 0020 in the pool's schema, i.e. its
 * search_path), shared by every instance on the database. Each method is one statement; the
 * claim takes its row with `FOR UPDATE SKIP LOCKED`, so concurrent claimers get different rows.
 *
 * @example
 * const { pool } = await openPg({ url: 'postgres://consentline@db/consentline' });
 * const repo = new PgRecordingRepo(pool);
 * const row = await repo.claimNext({ worker: 'consentline-2', spoolId: 'asterisk-2' }, now, leaseEnd);
 */
export class PgRecordingRepo implements RecordingRepository {
  readonly #db: PgQueryable;

  constructor(db: PgQueryable) {
    this.#db = db;
  }

  async #rows(sql: string, values: unknown[]): Promise<RecordingRow[]> {
    return (await this.#db.query<PgRow>(sql, values)).rows.map(toRow);
  }

  async #one(sql: string, values: unknown[]): Promise<RecordingRow | null> {
    return (await this.#rows(sql, values))[0] ?? null;
  }

  async #changes(sql: string, values: unknown[]): Promise<number> {
    return (await this.#db.query(sql, values)).rowCount ?? 0;
  }

  async insert(r: NewRecording, now: string): Promise<{ row: RecordingRow; created: boolean }> {
    // The live row that blocked the insert may finish before it is read: then insert again.
    for (;;) {
      const inserted = await this.#one(INSERT, insertValues(r, now));
      if (inserted) return { row: inserted, created: true };
      const existing = await this.liveBySource(r.source, r.sourceName);
      if (existing) return { row: existing, created: false };
    }
  }

  get(id: string): Promise<RecordingRow | null> {
    return this.#one(PG.get, [id]);
  }

  liveBySource(source: string, name: string): Promise<RecordingRow | null> {
    return this.#one(PG.live, [source, name]);
  }

  async hasFailed(source: string, name: string): Promise<boolean> {
    return (await this.#db.query(PG.failed, [source, name])).rows.length > 0;
  }

  async hasFinished(source: string, name: string): Promise<boolean> {
    return (await this.#db.query(PG.finished, [source, name])).rows.length > 0;
  }

  markSpooled(id: string, stoppedAt: string, reason: string, now: string, claim: ClaimHold): Promise<RecordingRow | null> {
    return this.#one(`${PG.spool} RETURNING *`, spoolValues(id, stoppedAt, reason, now, claim));
  }

  async update(id: string, patch: RecordingPatch, worker: string | null): Promise<RecordingRow> {
    const cols = patchColumns(patch);
    if (cols.length === 0) return (await this.get(id))!;
    const sets = cols.map(([k], i) => `${k} = $${i + 2}`).join(', ');
    const guard = worker === null ? '' : ` AND claimed_by = $${cols.length + 2}`;
    const values = [id, ...cols.map(([, v]) => v), ...(worker === null ? [] : [worker])];
    const row = await this.#one(`UPDATE recordings SET ${sets} WHERE id = $1${guard} RETURNING *`, values);
    if (!row) throw new LostClaimError(id);
    return row;
  }

  claimNext(by: Claimant, now: string, until: string): Promise<RecordingRow | null> {
    return this.#one(CLAIM, [by.worker, now, until, by.spoolId]);
  }

  async extendClaim(id: string, worker: string, until: string): Promise<boolean> {
    return (await this.#changes(PG.extend, [until, id, worker])) === 1;
  }

  async releaseClaim(id: string, worker: string): Promise<void> {
    await this.#changes(PG.release, [id, worker]);
  }

  releaseAllOf(worker: string): Promise<number> {
    return this.#changes(PG.releaseAll, [worker]);
  }

  async adoptSpool(id: string, spoolId: string): Promise<boolean> {
    return (await this.#changes(PG.adopt, [spoolId, id])) === 1;
  }

  list(opts: { state?: RecordingState; limit?: number } = {}): Promise<RecordingRow[]> {
    const limit = opts.limit ?? 1000;
    return opts.state ? this.#rows(PG.listState, [opts.state, limit]) : this.#rows(PG.listAll, [limit]);
  }

  ofCall(callId: string): Promise<RecordingRow[]> {
    return this.#rows(PG.ofCall, [callId]);
  }

  async queueStats(): Promise<{ depth: number; oldest: string | null }> {
    const r = (await this.#db.query<{ depth: string | number; oldest: string | null }>(PG.queue)).rows[0]!;
    return { depth: Number(r.depth), oldest: r.oldest };
  }

  async countByState(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const r of (await this.#db.query<{ state: string; n: string | number }>(PG.byState)).rows) out[r.state] = Number(r.n);
    return out;
  }

  hasEvent(kind: string, callId: string | null, recordingId: string): Promise<boolean> {
    return pgLedgerLookups(this.#db).hasRecordingEvent(callId, kind, recordingId);
  }
}
