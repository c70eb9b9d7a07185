import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from '../db/sqlite.js';
import { sqliteCallFacts } from '../evidence/call-facts.js';
import { sqliteLedgerLookups, type LedgerLookups } from '../evidence/ledger-lookups.js';
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

/**
 * {@link RetentionRepo} on the service's SQLite file (better-sqlite3, synchronous underneath):
 * multi-row writes are one IMMEDIATE transaction, so two connections never interleave them.
 * The caller owns `db`.
 */
export class SqliteRetentionRepo extends CallScopedRepo implements RetentionRepo {
  readonly #db: SqliteDatabase;
  readonly #st: ReturnType<typeof prepare>;
  readonly #ledger: LedgerLookups;

  constructor(db: SqliteDatabase) {
    const cached = new Map<string, Statement<unknown[]>>();
    const statement = (sql: string) => cached.get(sql) ?? cached.set(sql, db.prepare(sql)).get(sql)!;
    super(async <R>(sql: string, params: unknown[]) => statement(sql).all(...params) as R[], sqliteCallFacts(db));
    this.#db = db;
    this.#st = prepare(db);
    this.#ledger = sqliteLedgerLookups(db);
  }

  // ---- lease ------------------------------------------------------------------------

  async acquireLease(name: string, holder: string, now: number, ttlMs: number): Promise<boolean> {
    return this.#st.leaseAcquire.run(...leaseAcquireParams(name, holder, now, ttlMs)).changes === 1;
  }

  async renewLease(name: string, holder: string, now: number, ttlMs: number): Promise<boolean> {
    return this.#st.leaseRenew.run(now + ttlMs, name, holder, now).changes === 1;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    this.#st.leaseRelease.run(name, holder);
  }

  async leaseHolder(name: string): Promise<{ holder: string; expires_at: number } | null> {
    return (this.#st.leaseGet.get(name) as { holder: string; expires_at: number } | undefined) ?? null;
  }

  // ---- recordings -------------------------------------------------------------------

  async settleForeignDeletions(now: number): Promise<number> {
    return this.#st.settleForeign.run(new Date(now).toISOString()).changes;
  }



  async recordingsOfCalls(callIds: readonly string[]): Promise<CallRecording[]> {
    const out: CallRecording[] = [];
    // SQLite's bound-parameter limit: 500 ids a statement.
    for (let i = 0; i < callIds.length; i += 500) {
      const part = callIds.slice(i, i + 500);
      const sql = `SELECT ${CALL_RECORDING_COLUMNS} FROM recordings WHERE call_id IN (${part.map(() => '?').join(',')}) ORDER BY started_at, id`;
      out.push(...(this.#db.prepare(sql).all(...part) as CallRecording[]));
    }
    return out;
  }

  async mark(items: readonly Candidate[], reason: (c: Candidate) => DeletionReason, holder: string, runId: string, now: number, claimUntil: number): Promise<Set<string>> {
    const nowIso = new Date(now).toISOString();
    const until = new Date(claimUntil).toISOString();
    return this.#db.transaction(() => {
      const marked = new Set<string>();
      for (const c of items) {
        const claimed = this.#st.claim.run({ id: c.id, holder, until, now: nowIso, force: c.mark_state === 'deleting' ? 1 : 0 }).changes;
        if (claimed !== 1) continue;
        this.#st.markDeleting.run({
          id: c.id,
          callId: c.call_id,
          key: c.object_key,
          versionId: c.version_id,
          reason: reason(c),
          runId,
          now: nowIso,
          retainUntil: c.retain_until,
        });
        marked.add(c.id);
      }
      return marked;
    }).immediate();
  }

  async finishDeleted(ids: readonly string[], now: number): Promise<void> {
    const nowIso = new Date(now).toISOString();
    this.#db.transaction(() => {
      for (const id of ids) {
        this.#st.recordingDeleted.run(nowIso, id);
        this.#st.markState.run({ id, state: 'deleted', detail: null, retainUntil: null, now: nowIso });
      }
    }).immediate();
  }

  async finishNotDeleted(items: readonly NotDeleted[], now: number): Promise<void> {
    const nowIso = new Date(now).toISOString();
    this.#db.transaction(() => {
      for (const it of items) {
        this.#st.releaseClaim.run(it.id);
        this.#st.markState.run({ id: it.id, state: it.state, detail: it.detail, retainUntil: it.retainUntil ?? null, now: nowIso });
      }
    }).immediate();
  }

  async unmark(ids: readonly string[]): Promise<void> {
    this.#db.transaction(() => {
      for (const id of ids) {
        this.#st.releaseClaim.run(id);
        this.#st.unmark.run(id);
      }
    }).immediate();
  }

  async markPendingErasure(items: readonly PendingErasure[], runId: string, detail: string, now: number): Promise<void> {
    const nowIso = new Date(now).toISOString();
    this.#db.transaction(() => {
      for (const it of items) {
        this.#st.markPending.run({ id: it.id, callId: it.call_id, key: it.object_key ?? '', versionId: it.version_id, runId, now: nowIso, detail });
      }
    }).immediate();
  }

  async deletionState(id: string): Promise<{ state: DeletionState; reason: DeletionReason; attempts: number } | null> {
    return (this.#st.markGet.get(id) as { state: DeletionState; reason: DeletionReason; attempts: number } | undefined) ?? null;
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
    this.#st.holdInsert.run(h.id, h.scope, h.target, h.reason, h.set_by, h.set_by_name, h.set_at);
  }

  async hold(id: string): Promise<HoldRow | null> {
    return (this.#st.holdGet.get(id) as HoldRow | undefined) ?? null;
  }

  async holds(opts: { active?: boolean; limit?: number } = {}): Promise<HoldRow[]> {
    return (opts.active ? this.#st.holdsActive : this.#st.holdsAll).all(opts.limit ?? 500) as HoldRow[];
  }

  async requestRelease(id: string, by: Person, reason: string | null, now: string): Promise<boolean> {
    return this.#st.holdRequest.run(by.id, by.name, by.subject ?? null, now, reason, id).changes === 1;
  }

  async approveRelease(id: string, by: Person, now: string): Promise<boolean> {
    return this.#st.holdApprove.run(by.id, by.name, now, id, by.id, by.subject ?? by.id).changes === 1;
  }




  async holdMirrored(id: string, on: boolean): Promise<void> {
    this.#st.holdMirrored.run(on ? 1 : 0, id);
  }

  // ---- erasure requests ----------------------------------------------------------------

  async insertErasure(id: string, by: string, at: string): Promise<void> {
    this.#st.erasureInsert.run(id, by, at);
  }

  async finishErasure(id: string, at: string, certificate: string): Promise<void> {
    this.#st.erasureFinish.run(at, certificate, id);
  }

  async erasureCertificate(id: string): Promise<string | null> {
    return (this.#st.erasureGet.get(id) as { certificate: string | null } | undefined)?.certificate ?? null;
  }

  async erasure(id: string): Promise<ErasureRow | null> {
    return (this.#st.erasureRow.get(id) as ErasureRow | undefined) ?? null;
  }

  async erasures(limit: number): Promise<ErasureRow[]> {
    return this.#st.erasureRows.all(limit) as ErasureRow[];
  }

  // ---- sweep reports -------------------------------------------------------------------

  async saveSweep(r: FinishedSweep): Promise<void> {
    this.#st.sweepInsert.run(r.runId, r.startedAt, r.finishedAt, r.status, r.dryRun ? 1 : 0, JSON.stringify(r));
  }

  async sweeps(limit: number): Promise<FinishedSweep[]> {
    return (this.#st.sweepRows.all(limit) as { report: string }[]).map((row) => JSON.parse(row.report) as FinishedSweep);
  }
}

function prepare(db: SqliteDatabase) {
  const shared = Object.fromEntries(Object.entries(SQL).map(([k, sql]) => [k, db.prepare(sql)])) as { [K in keyof typeof SQL]: Statement<unknown[]> };
  return {
    ...shared,
    claim: db.prepare(
      `UPDATE recordings SET claimed_by = @holder, claimed_until = @until, updated_at = @now
       WHERE id = @id AND state = 'done' AND (@force = 1 OR claimed_until IS NULL OR claimed_until < @now)`,
    ),
    markDeleting: db.prepare(
      `INSERT INTO retention_deletions (recording_id, call_id, object_key, version_id, reason, state, run_id, attempts, retain_until, marked_at)
       VALUES (@id, @callId, @key, @versionId, @reason, 'deleting', @runId, 1, @retainUntil, @now)
       ON CONFLICT (recording_id) DO UPDATE SET state = 'deleting', run_id = excluded.run_id, attempts = retention_deletions.attempts + 1,
         object_key = excluded.object_key, version_id = excluded.version_id, marked_at = excluded.marked_at,
         reason = CASE WHEN retention_deletions.reason = 'erasure' THEN 'erasure' ELSE excluded.reason END`,
    ),
    markPending: db.prepare(
      `INSERT INTO retention_deletions (recording_id, call_id, object_key, version_id, reason, state, run_id, detail, marked_at)
       VALUES (@id, @callId, @key, @versionId, 'erasure', 'pending', @runId, @detail, @now)
       ON CONFLICT (recording_id) DO UPDATE SET reason = 'erasure', detail = excluded.detail
       WHERE retention_deletions.state <> 'deleted'`,
    ),
    markState: db.prepare(
      `UPDATE retention_deletions SET state = @state, detail = @detail, retain_until = coalesce(@retainUntil, retain_until),
         finished_at = @now WHERE recording_id = @id`,
    ),
    unmark: db.prepare('DELETE FROM retention_deletions WHERE recording_id = ?'),
    recordingDeleted: db.prepare(
      `UPDATE recordings SET state = 'deleted', claimed_by = NULL, claimed_until = NULL, delete_after = NULL, next_attempt_at = NULL,
         updated_at = ? WHERE id = ?`,
    ),
    releaseClaim: db.prepare('UPDATE recordings SET claimed_by = NULL, claimed_until = NULL WHERE id = ?'),
  };
}
