import type pg from 'pg';
import { numbered, type PgQueryable } from '../db/pg.js';
import { pgCallFacts } from '../evidence/call-facts.js';
import { pgLedgerLookups, type LedgerLookups } from '../evidence/ledger-lookups.js';
import { CallScopedRepo } from './call-scope.js';
import type {
  CallRecording,
  Candidate,
  DeletionReason,
  DeletionState,
  ErasureRow,
  HoldRow,
  NewHold,
  NotDeleted,
  PendingErasure,
  Person,
  RetentionRepo,
} from './repo.js';
import type { FinishedSweep } from './sweep-report.js';
import { CALL_RECORDING_COLUMNS, leaseAcquireParams, SQL } from './repo-sql.js';

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Claims free rows in id order, skipping rows another marker has locked at this moment, then
 * marks what it claimed: one statement, so two instances marking the same items each get a
 * disjoint share and never wait on each other in a cycle. `$2` lists the rows an interrupted
 * run left `deleting`: they are taken over whatever their claim says.
 */
const MARK = `WITH items AS (
    SELECT * FROM unnest($1::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) AS t(id, call_id, object_key, version_id, reason, retain_until)
  ), free AS (
    SELECT r.id FROM recordings r
    WHERE r.id = ANY($1) AND r.state = 'done' AND (r.id = ANY($2) OR r.claimed_until IS NULL OR r.claimed_until < $8)
    ORDER BY r.id FOR UPDATE SKIP LOCKED
  ), claimed AS (
    UPDATE recordings r SET claimed_by = $9, claimed_until = $10, updated_at = $8 FROM free WHERE r.id = free.id RETURNING r.id
  )
  INSERT INTO retention_deletions (recording_id, call_id, object_key, version_id, reason, state, run_id, attempts, retain_until, marked_at)
  SELECT i.id, i.call_id, i.object_key, i.version_id, i.reason, 'deleting', $11, 1, i.retain_until, $8 FROM items i JOIN claimed USING (id)
  ON CONFLICT (recording_id) DO UPDATE SET state = 'deleting', run_id = excluded.run_id, attempts = retention_deletions.attempts + 1,
    object_key = excluded.object_key, version_id = excluded.version_id, marked_at = excluded.marked_at,
    reason = CASE WHEN retention_deletions.reason = 'erasure' THEN 'erasure' ELSE excluded.reason END
  RETURNING recording_id`;

const FINISH_DELETED = `WITH gone AS (
    UPDATE recordings SET state = 'deleted', claimed_by = NULL, claimed_until = NULL, delete_after = NULL, next_attempt_at = NULL, updated_at = $2
    WHERE id = ANY($1)
  )
  UPDATE retention_deletions SET state = 'deleted', detail = NULL, finished_at = $2 WHERE recording_id = ANY($1)`;

const FINISH_NOT_DELETED = `WITH items AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS t(id, state, detail, retain_until)
  ), released AS (
    UPDATE recordings SET claimed_by = NULL, claimed_until = NULL WHERE id IN (SELECT id FROM items)
  )
  UPDATE retention_deletions d SET state = i.state, detail = i.detail, retain_until = coalesce(i.retain_until, d.retain_until), finished_at = $5
  FROM items i WHERE d.recording_id = i.id`;

const UNMARK = `WITH released AS (UPDATE recordings SET claimed_by = NULL, claimed_until = NULL WHERE id = ANY($1))
  DELETE FROM retention_deletions WHERE recording_id = ANY($1)`;

const MARK_PENDING = `INSERT INTO retention_deletions (recording_id, call_id, object_key, version_id, reason, state, run_id, detail, marked_at)
  SELECT t.id, t.call_id, t.object_key, t.version_id, 'erasure', 'pending', $5, $6, $7
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS t(id, call_id, object_key, version_id)
  ON CONFLICT (recording_id) DO UPDATE SET reason = 'erasure', detail = excluded.detail
  WHERE retention_deletions.state <> 'deleted'`;

/**
 * {@link RetentionRepo} on the PostgreSQL evidence database (migrations/postgres 0001, 0020,
 * 0030), shared by several instances. Every write is one statement (data-modifying CTEs over
 * array parameters), so it is atomic without a client-side transaction. Give it a pool from
 * `createPgPool({ url, schema })` (the schema is the pool's search_path); the caller owns it.
 */
export class PgRetentionRepo extends CallScopedRepo implements RetentionRepo {
  readonly #db: PgQueryable;
  readonly #ledger: LedgerLookups;

  constructor(db: PgQueryable) {
    super(async <R>(sql: string, params: unknown[]) => (await db.query(numbered(sql), params)).rows as R[], pgCallFacts(db));
    this.#db = db;
    this.#ledger = pgLedgerLookups(db);
  }

  async #rows<R extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<R[]> {
    return (await this.#db.query<R>(numbered(sql), params)).rows;
  }

  async #count(sql: string, params: unknown[]): Promise<number> {
    return (await this.#db.query(numbered(sql), params)).rowCount ?? 0;
  }

  // ---- lease ------------------------------------------------------------------------

  async acquireLease(name: string, holder: string, now: number, ttlMs: number): Promise<boolean> {
    return (await this.#count(SQL.leaseAcquire, leaseAcquireParams(name, holder, now, ttlMs))) === 1;
  }

  async renewLease(name: string, holder: string, now: number, ttlMs: number): Promise<boolean> {
    return (await this.#count(SQL.leaseRenew, [now + ttlMs, name, holder, now])) === 1;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    await this.#count(SQL.leaseRelease, [name, holder]);
  }

  async leaseHolder(name: string): Promise<{ holder: string; expires_at: number } | null> {
    const [row] = await this.#rows<{ holder: string; expires_at: number | string }>(SQL.leaseGet, [name]);
    return row ? { holder: row.holder, expires_at: Number(row.expires_at) } : null;
  }

  // ---- recordings -------------------------------------------------------------------

  settleForeignDeletions(now: number): Promise<number> {
    return this.#count(SQL.settleForeign, [iso(now)]);
  }



  async recordingsOfCalls(callIds: readonly string[]): Promise<CallRecording[]> {
    if (callIds.length === 0) return [];
    const rows = await this.#db.query<CallRecording>(`SELECT ${CALL_RECORDING_COLUMNS} FROM recordings WHERE call_id = ANY($1) ORDER BY started_at, id`, [callIds]);
    return rows.rows.map((r) => ({ ...r, plaintext_bytes: r.plaintext_bytes === null ? null : Number(r.plaintext_bytes) }));
  }

  async mark(items: readonly Candidate[], reason: (c: Candidate) => DeletionReason, holder: string, runId: string, now: number, claimUntil: number): Promise<Set<string>> {
    if (items.length === 0) return new Set();
    const col = <K extends keyof Candidate>(k: K) => items.map((c) => c[k]);
    const { rows } = await this.#db.query<{ recording_id: string }>(MARK, [
      col('id'),
      items.filter((c) => c.mark_state === 'deleting').map((c) => c.id),
      col('call_id'),
      col('object_key'),
      col('version_id'),
      items.map(reason),
      col('retain_until'),
      iso(now),
      holder,
      iso(claimUntil),
      runId,
    ]);
    return new Set(rows.map((r) => r.recording_id));
  }

  async finishDeleted(ids: readonly string[], now: number): Promise<void> {
    if (ids.length) await this.#db.query(FINISH_DELETED, [ids, iso(now)]);
  }

  async finishNotDeleted(items: readonly NotDeleted[], now: number): Promise<void> {
    if (items.length === 0) return;
    await this.#db.query(FINISH_NOT_DELETED, [items.map((i) => i.id), items.map((i) => i.state), items.map((i) => i.detail), items.map((i) => i.retainUntil ?? null), iso(now)]);
  }

  async unmark(ids: readonly string[]): Promise<void> {
    if (ids.length) await this.#db.query(UNMARK, [ids]);
  }

  async markPendingErasure(items: readonly PendingErasure[], runId: string, detail: string, now: number): Promise<void> {
    if (items.length === 0) return;
    await this.#db.query(MARK_PENDING, [items.map((i) => i.id), items.map((i) => i.call_id), items.map((i) => i.object_key ?? ''), items.map((i) => i.version_id), runId, detail, iso(now)]);
  }

  async deletionState(id: string): Promise<{ state: DeletionState; reason: DeletionReason; attempts: number } | null> {
    return (await this.#rows<{ state: DeletionState; reason: DeletionReason; attempts: number }>(SQL.markGet, [id]))[0] ?? null;
  }

  async hasDeletionEvent(callId: string | null, recordingId: string): Promise<boolean> {
    return this.#ledger.hasRecordingEvent(callId, 'recording.deleted', recordingId);
  }

  // ---- evidence (personal data behind the chain) --------------------------------------


  async hasEvidenceErasureEvent(callId: string, kind: 'retention.deleted' | 'erasure.done'): Promise<boolean> {
    return this.#ledger.hasCallEvent(callId, kind);
  }



  // ---- holds --------------------------------------------------------------------------

  async insertHold(h: NewHold): Promise<void> {
    await this.#count(SQL.holdInsert, [h.id, h.scope, h.target, h.reason, h.set_by, h.set_by_name, h.set_at]);
  }

  async hold(id: string): Promise<HoldRow | null> {
    return (await this.#rows<HoldRow>(SQL.holdGet, [id]))[0] ?? null;
  }

  holds(opts: { active?: boolean; limit?: number } = {}): Promise<HoldRow[]> {
    return this.#rows<HoldRow>(opts.active ? SQL.holdsActive : SQL.holdsAll, [opts.limit ?? 500]);
  }

  async requestRelease(id: string, by: Person, reason: string | null, now: string): Promise<boolean> {
    return (await this.#count(SQL.holdRequest, [by.id, by.name, by.subject ?? null, now, reason, id])) === 1;
  }

  async approveRelease(id: string, by: Person, now: string): Promise<boolean> {
    return (await this.#count(SQL.holdApprove, [by.id, by.name, now, id, by.id, by.subject ?? by.id])) === 1;
  }




  async holdMirrored(id: string, on: boolean): Promise<void> {
    await this.#count(SQL.holdMirrored, [on ? 1 : 0, id]);
  }

  // ---- erasure requests ----------------------------------------------------------------

  async insertErasure(id: string, by: string, at: string): Promise<void> {
    await this.#count(SQL.erasureInsert, [id, by, at]);
  }

  async finishErasure(id: string, at: string, certificate: string): Promise<void> {
    await this.#count(SQL.erasureFinish, [at, certificate, id]);
  }

  async erasureCertificate(id: string): Promise<string | null> {
    return (await this.#rows<{ certificate: string | null }>(SQL.erasureGet, [id]))[0]?.certificate ?? null;
  }

  async erasure(id: string): Promise<ErasureRow | null> {
    return (await this.#rows<ErasureRow>(SQL.erasureRow, [id]))[0] ?? null;
  }

  erasures(limit: number): Promise<ErasureRow[]> {
    return this.#rows<ErasureRow>(SQL.erasureRows, [limit]);
  }

  // ---- sweep reports -------------------------------------------------------------------

  async saveSweep(r: FinishedSweep): Promise<void> {
    await this.#count(SQL.sweepInsert, [r.runId, r.startedAt, r.finishedAt, r.status, r.dryRun ? 1 : 0, JSON.stringify(r)]);
  }

  async sweeps(limit: number): Promise<FinishedSweep[]> {
    return (await this.#rows<{ report: string }>(SQL.sweepRows, [limit])).map((row) => JSON.parse(row.report) as FinishedSweep);
  }
}
