import type { SqliteDatabase } from '../db/sqlite.js';
import { cutoffs, type Policies, type RetentionKind } from './policy.js';

export type HoldScope = 'call' | 'caller' | 'flow';

/** One row of `legal_holds` (migration 0030). */
export interface HoldRow {
  readonly id: string;
  readonly scope: HoldScope;
  readonly target: string;
  readonly reason: string;
  readonly set_by: string;
  readonly set_by_name: string;
  readonly set_at: string;
  readonly release_requested_by: string | null;
  readonly release_requested_by_name: string | null;
  readonly release_requested_at: string | null;
  readonly release_reason: string | null;
  readonly released_by: string | null;
  readonly released_by_name: string | null;
  readonly released_at: string | null;
}

export type DeletionReason = 'retention' | 'quarantine' | 'erasure';
export type DeletionState = 'deleting' | 'deleted' | 'locked' | 'failed' | 'pending';

/** A recording the sweep (or an erasure) may delete, with what decides it. */
export interface Candidate {
  readonly id: string;
  readonly call_id: string | null;
  readonly object_key: string;
  readonly version_id: string | null;
  readonly retain_until: string | null;
  readonly started_at: string;
  readonly disposition: 'keep' | 'quarantine' | null;
  readonly flow_id: string | null;
  readonly mark_state: DeletionState | null;
  readonly mark_reason: DeletionReason | null;
  readonly held: 0 | 1;
  readonly claimed_until: string | null;
}

/** A recording of a call, as erasure and access requests read it. */
export interface CallRecording {
  readonly id: string;
  readonly call_id: string;
  readonly state: string;
  readonly object_key: string | null;
  readonly version_id: string | null;
  readonly retain_until: string | null;
  readonly started_at: string;
  readonly stopped_at: string | null;
  readonly disposition: 'keep' | 'quarantine' | null;
  readonly claimed_until: string | null;
  readonly plaintext_bytes: number | null;
  readonly plaintext_sha256: string | null;
  readonly context_id: string;
  readonly store: string | null;
}

export interface EvidenceCandidate {
  readonly call_id: string;
  readonly flow_id: string;
  readonly started_at: string;
  readonly held: 0 | 1;
}

/** SQL true when an active hold covers recording `r` / call `c`. */
const HELD = `EXISTS (SELECT 1 FROM legal_holds h WHERE h.released_at IS NULL AND (
    (h.scope = 'call' AND h.target = c.call_id) OR (h.scope = 'flow' AND h.target = c.flow_id)
    OR (h.scope = 'caller' AND h.target = c.caller_lookup)))`;

/**
 * Retention's tables on the service's SQLite file, beside the recordings pipeline's and the
 * ledger's projections. Synchronous (better-sqlite3); every write is one statement or one
 * transaction.
 */
export class RetentionRepo {
  readonly #db: SqliteDatabase;
  readonly #st: ReturnType<typeof prepare>;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    this.#st = prepare(db);
  }

  get db(): SqliteDatabase {
    return this.#db;
  }

  // ---- lease ------------------------------------------------------------------------

  /** Takes the lease when it is free, expired, or already ours. */
  acquireLease(name: string, holder: string, now: number, ttlMs: number): boolean {
    return this.#st.leaseAcquire.run({ name, holder, now, exp: now + ttlMs, at: new Date(now).toISOString() }).changes === 1;
  }

  renewLease(name: string, holder: string, now: number, ttlMs: number): boolean {
    return this.#st.leaseRenew.run({ name, holder, now, exp: now + ttlMs }).changes === 1;
  }

  releaseLease(name: string, holder: string): void {
    this.#st.leaseRelease.run(name, holder);
  }

  leaseHolder(name: string): { holder: string; expires_at: number } | null {
    return (this.#st.leaseGet.get(name) as { holder: string; expires_at: number } | undefined) ?? null;
  }

  // ---- recordings -------------------------------------------------------------------

  /** Marks left `deleting` whose recording someone else (the pipeline's quarantine deletion) has since deleted. */
  settleForeignDeletions(): number {
    return this.#st.settleForeign.run(new Date().toISOString()).changes;
  }

  /** Marks left `deleting` by a run that did not finish. */
  unfinished(limit: number): Candidate[] {
    return this.#st.unfinished.all(limit) as Candidate[];
  }

  /**
   * A page of recordings due for deletion at `now` under `policies` (kept ones by
   * recordingsDays, quarantined ones by quarantineDays, both from the recording's capture
   * time), plus those an erasure request left locked, failed or pending. Held rows come back
   * with `held = 1`, to be reported.
   */
  dueRecordings(policies: Policies, now: number, after: string, limit: number): Candidate[] {
    const keep = cutoffs(policies, 'recordingsDays', now);
    const quar = cutoffs(policies, 'quarantineDays', now);
    const params: unknown[] = [];
    const caseOf = (c: { flows: [string, string][]; fallback: string }) => {
      if (c.flows.length === 0) {
        params.push(c.fallback);
        return '?';
      }
      let sql = 'CASE c.flow_id';
      for (const [flow, cut] of c.flows) {
        sql += ' WHEN ? THEN ?';
        params.push(flow, cut);
      }
      params.push(c.fallback);
      return `${sql} ELSE ? END`;
    };
    const keepCase = caseOf(keep);
    const quarCase = caseOf(quar);
    const nowIso = new Date(now).toISOString();
    const sql = `SELECT r.id, r.call_id, r.object_key, r.version_id, r.retain_until, r.started_at, r.disposition, r.claimed_until,
        c.flow_id, d.state AS mark_state, d.reason AS mark_reason, ${HELD} AS held
      FROM recordings r
      LEFT JOIN calls c ON c.call_id = r.call_id
      LEFT JOIN retention_deletions d ON d.recording_id = r.id
      WHERE r.id > ? AND r.state = 'done' AND r.object_key IS NOT NULL
        AND (d.state IS NULL OR d.state IN ('locked', 'failed', 'pending'))
        AND (d.reason = 'erasure'
          OR (coalesce(r.disposition, 'keep') = 'keep' AND r.started_at <= ${keepCase})
          OR (r.disposition = 'quarantine' AND r.started_at <= ${quarCase}))
        AND (r.claimed_until IS NULL OR r.claimed_until < ?)
      ORDER BY r.id LIMIT ?`;
    return this.#db.prepare(sql).all(after, ...params, nowIso, limit) as Candidate[];
  }

  /** Every recording of these calls that is stored or on its way there, for an erasure. */
  recordingsOfCalls(callIds: readonly string[]): CallRecording[] {
    if (callIds.length === 0) return [];
    const out: CallRecording[] = [];
    for (let i = 0; i < callIds.length; i += 500) {
      const part = callIds.slice(i, i + 500);
      out.push(
        ...(this.#db
          .prepare(
            `SELECT id, call_id, state, object_key, version_id, retain_until, started_at, stopped_at, disposition, claimed_until,
               plaintext_bytes, plaintext_sha256, context_id, store FROM recordings WHERE call_id IN (${part.map(() => '?').join(',')}) ORDER BY started_at`,
          )
          .all(...part) as CallRecording[]),
      );
    }
    return out;
  }

  /**
   * Marks rows `deleting` and claims them in the pipeline's table (so its own quarantine
   * deletion leaves them alone), in one transaction. Returns the ids that were marked: a row
   * another worker holds a live claim on is skipped.
   */
  mark(items: readonly Candidate[], reason: (c: Candidate) => DeletionReason, holder: string, runId: string, now: number, claimUntil: number): Set<string> {
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

  /** The object is gone (deleted now, or found absent): the recording row is `deleted`. */
  finishDeleted(ids: readonly string[], now: number): void {
    const nowIso = new Date(now).toISOString();
    this.#db.transaction(() => {
      for (const id of ids) {
        this.#st.recordingDeleted.run(nowIso, id);
        this.#st.markState.run({ id, state: 'deleted', detail: null, retainUntil: null, now: nowIso });
      }
    }).immediate();
  }

  /** Not deleted (locked, failed, or now held): kept for a later run, the claim let go. */
  finishNotDeleted(items: ReadonlyArray<{ id: string; state: 'locked' | 'failed' | 'pending'; detail: string | null; retainUntil?: string | null }>, now: number): void {
    const nowIso = new Date(now).toISOString();
    this.#db.transaction(() => {
      for (const it of items) {
        this.#st.releaseClaim.run(it.id);
        this.#st.markState.run({ id: it.id, state: it.state, detail: it.detail, retainUntil: it.retainUntil ?? null, now: nowIso });
      }
    }).immediate();
  }

  /** Drops a sweep's mark entirely (an item found held on resume, not part of an erasure). */
  unmark(ids: readonly string[]): void {
    this.#db.transaction(() => {
      for (const id of ids) {
        this.#st.releaseClaim.run(id);
        this.#st.unmark.run(id);
      }
    }).immediate();
  }

  /** Records that an erasure request wants this recording gone once it can be (stored, unlocked). */
  markPendingErasure(items: ReadonlyArray<{ id: string; call_id: string; object_key: string | null; version_id: string | null }>, runId: string, detail: string, now: number): void {
    const nowIso = new Date(now).toISOString();
    this.#db.transaction(() => {
      for (const it of items) {
        this.#st.markPending.run({ id: it.id, callId: it.call_id, key: it.object_key ?? '', versionId: it.version_id, runId, now: nowIso, detail });
      }
    }).immediate();
  }

  deletionState(id: string): { state: DeletionState; reason: DeletionReason; attempts: number } | null {
    return (this.#st.markGet.get(id) as { state: DeletionState; reason: DeletionReason; attempts: number } | undefined) ?? null;
  }

  /** Whether the ledger already says this recording was deleted (a resumed item must not say it twice). */
  hasDeletionEvent(callId: string | null, recordingId: string): boolean {
    const row = callId === null ? this.#st.eventNullCall.get('recording.deleted', recordingId) : this.#st.eventOfCall.get(callId, 'recording.deleted', recordingId);
    return row !== undefined;
  }

  // ---- evidence (personal data behind the chain) --------------------------------------

  /** Calls past their evidence retention whose caller data is still there. */
  dueEvidence(policies: Policies, now: number, after: string, limit: number): EvidenceCandidate[] {
    const ev = cutoffs(policies, 'evidenceDays' satisfies RetentionKind, now);
    const params: unknown[] = [];
    let cutSql = '?';
    if (ev.flows.length) {
      cutSql = 'CASE c.flow_id';
      for (const [flow, cut] of ev.flows) {
        cutSql += ' WHEN ? THEN ?';
        params.push(flow, cut);
      }
      cutSql += ' ELSE ? END';
    }
    params.push(ev.fallback);
    const sql = `SELECT c.call_id, c.flow_id, c.started_at, ${HELD} AS held FROM calls c
      WHERE c.call_id > ? AND c.started_at <= ${cutSql}
        AND (c.caller_lookup IS NOT NULL OR c.caller_masked IS NOT NULL OR EXISTS (SELECT 1 FROM subjects s WHERE s.call_id = c.call_id))
      ORDER BY c.call_id LIMIT ?`;
    return this.#db.prepare(sql).all(after, ...params, limit) as EvidenceCandidate[];
  }

  hasEvidenceErasureEvent(callId: string, kind: 'retention.deleted' | 'erasure.done'): boolean {
    return this.#st.evidenceEvent.get(callId, kind) !== undefined;
  }

  /**
   * Erases the personal data of these calls: subject rows (number, salt, look-up key, mask) and
   * the projection's look-up key and masked number. The chained events stay and keep verifying.
   * Returns how many subject rows went.
   */
  eraseCallSubjects(callIds: readonly string[]): number {
    return this.#db.transaction(() => {
      let n = 0;
      for (const id of callIds) {
        n += this.#st.deleteSubjects.run(id).changes;
        this.#st.clearCaller.run(id);
      }
      return n;
    }).immediate();
  }

  /** A caller's calls by look-up key, from the projection and from the subjects table. */
  callsOfCaller(lookupKey: string): Array<{ call_id: string; flow_id: string | null; started_at: string | null; held: 0 | 1 }> {
    return this.#st.callsOfCaller.all({ lookupKey }) as Array<{ call_id: string; flow_id: string | null; started_at: string | null; held: 0 | 1 }>;
  }

  // ---- holds --------------------------------------------------------------------------

  insertHold(h: Pick<HoldRow, 'id' | 'scope' | 'target' | 'reason' | 'set_by' | 'set_by_name' | 'set_at'>): void {
    this.#st.holdInsert.run(h);
  }

  hold(id: string): HoldRow | null {
    return (this.#st.holdGet.get(id) as HoldRow | undefined) ?? null;
  }

  holds(opts: { active?: boolean; limit?: number } = {}): HoldRow[] {
    return (opts.active ? this.#st.holdsActive : this.#st.holdsAll).all(opts.limit ?? 500) as HoldRow[];
  }

  /** First half of a release. False when the hold is not active or a request is already pending. */
  requestRelease(id: string, by: { id: string; name: string }, reason: string | null, now: string): boolean {
    return this.#st.holdRequest.run({ id, by: by.id, byName: by.name, reason, now }).changes === 1;
  }

  /** Second half: only by a token other than the requester's. */
  approveRelease(id: string, by: { id: string; name: string }, now: string): boolean {
    return this.#st.holdApprove.run({ id, by: by.id, byName: by.name, now }).changes === 1;
  }

  /** The calls a hold covers now (for the ledger event, capped). */
  callsCoveredBy(scope: HoldScope, target: string, limit = 1000): string[] {
    const col = scope === 'call' ? 'call_id' : scope === 'flow' ? 'flow_id' : 'caller_lookup';
    return (this.#db.prepare(`SELECT call_id FROM calls WHERE ${col} = ? ORDER BY started_at LIMIT ?`).all(target, limit) as { call_id: string }[]).map((r) => r.call_id);
  }

  /** Active holds covering one call (for reports). */
  holdsOnCall(callId: string): string[] {
    return (this.#st.holdsOnCall.all(callId) as { id: string }[]).map((r) => r.id);
  }

  // ---- erasure requests ----------------------------------------------------------------

  insertErasure(id: string, by: string, at: string): void {
    this.#st.erasureInsert.run(id, by, at);
  }

  finishErasure(id: string, at: string, certificate: string): void {
    this.#st.erasureFinish.run(at, certificate, id);
  }

  erasureCertificate(id: string): string | null {
    return (this.#st.erasureGet.get(id) as { certificate: string | null } | undefined)?.certificate ?? null;
  }
}

function prepare(db: SqliteDatabase) {
  return {
    leaseAcquire: db.prepare(
      `INSERT INTO retention_leases (name, holder, expires_at, acquired_at) VALUES (@name, @holder, @exp, @at)
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at, acquired_at = excluded.acquired_at
       WHERE retention_leases.expires_at <= @now OR retention_leases.holder = @holder`,
    ),
    leaseRenew: db.prepare('UPDATE retention_leases SET expires_at = @exp WHERE name = @name AND holder = @holder AND expires_at > @now'),
    leaseRelease: db.prepare('DELETE FROM retention_leases WHERE name = ? AND holder = ?'),
    leaseGet: db.prepare('SELECT holder, expires_at FROM retention_leases WHERE name = ?'),
    settleForeign: db.prepare(
      `UPDATE retention_deletions SET state = 'deleted', detail = 'deleted by the recordings pipeline', finished_at = ?
       WHERE state = 'deleting' AND recording_id IN (SELECT id FROM recordings WHERE state = 'deleted')`,
    ),
    unfinished: db.prepare(
      `SELECT r.id, r.call_id, d.object_key, d.version_id, r.retain_until, r.started_at, r.disposition, r.claimed_until,
         c.flow_id, d.state AS mark_state, d.reason AS mark_reason, ${HELD} AS held
       FROM retention_deletions d JOIN recordings r ON r.id = d.recording_id LEFT JOIN calls c ON c.call_id = r.call_id
       WHERE d.state = 'deleting' ORDER BY d.recording_id LIMIT ?`,
    ),
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
    markGet: db.prepare('SELECT state, reason, attempts FROM retention_deletions WHERE recording_id = ?'),
    unmark: db.prepare('DELETE FROM retention_deletions WHERE recording_id = ?'),
    recordingDeleted: db.prepare(
      `UPDATE recordings SET state = 'deleted', claimed_by = NULL, claimed_until = NULL, delete_after = NULL, next_attempt_at = NULL,
         updated_at = ? WHERE id = ?`,
    ),
    releaseClaim: db.prepare('UPDATE recordings SET claimed_by = NULL, claimed_until = NULL WHERE id = ?'),
    eventOfCall: db.prepare(`SELECT 1 FROM events WHERE call_id = ? AND kind = ? AND json_extract(data, '$.recordingId') = ? LIMIT 1`),
    eventNullCall: db.prepare(`SELECT 1 FROM events WHERE call_id IS NULL AND kind = ? AND json_extract(data, '$.recordingId') = ? LIMIT 1`),
    evidenceEvent: db.prepare(`SELECT 1 FROM events WHERE call_id = ? AND kind = ? LIMIT 1`),
    deleteSubjects: db.prepare('DELETE FROM subjects WHERE call_id = ?'),
    clearCaller: db.prepare('UPDATE calls SET caller_lookup = NULL, caller_masked = NULL WHERE call_id = ?'),
    callsOfCaller: db.prepare(
      `SELECT x.call_id, c.flow_id, c.started_at, ${HELD.replace('h.target = c.call_id', 'h.target = x.call_id')} AS held
       FROM (SELECT call_id FROM calls WHERE caller_lookup = @lookupKey
             UNION SELECT call_id FROM subjects WHERE lookup_key = @lookupKey AND call_id IS NOT NULL) x
       LEFT JOIN calls c ON c.call_id = x.call_id
       ORDER BY c.started_at, x.call_id`,
    ),
    holdInsert: db.prepare(
      `INSERT INTO legal_holds (id, scope, target, reason, set_by, set_by_name, set_at)
       VALUES (@id, @scope, @target, @reason, @set_by, @set_by_name, @set_at)`,
    ),
    holdGet: db.prepare('SELECT * FROM legal_holds WHERE id = ?'),
    holdsActive: db.prepare('SELECT * FROM legal_holds WHERE released_at IS NULL ORDER BY set_at DESC LIMIT ?'),
    holdsAll: db.prepare('SELECT * FROM legal_holds ORDER BY set_at DESC LIMIT ?'),
    holdRequest: db.prepare(
      `UPDATE legal_holds SET release_requested_by = @by, release_requested_by_name = @byName, release_requested_at = @now, release_reason = @reason
       WHERE id = @id AND released_at IS NULL AND release_requested_by IS NULL`,
    ),
    holdApprove: db.prepare(
      `UPDATE legal_holds SET released_by = @by, released_by_name = @byName, released_at = @now
       WHERE id = @id AND released_at IS NULL AND release_requested_by IS NOT NULL AND release_requested_by <> @by`,
    ),
    holdsOnCall: db.prepare(
      `SELECT h.id FROM legal_holds h JOIN calls c ON c.call_id = ?
       WHERE h.released_at IS NULL AND ((h.scope = 'call' AND h.target = c.call_id) OR (h.scope = 'flow' AND h.target = c.flow_id)
         OR (h.scope = 'caller' AND h.target = c.caller_lookup))`,
    ),
    erasureInsert: db.prepare('INSERT INTO erasure_requests (id, requested_by, requested_at) VALUES (?, ?, ?)'),
    erasureFinish: db.prepare('UPDATE erasure_requests SET done_at = ?, certificate = ? WHERE id = ?'),
    erasureGet: db.prepare('SELECT certificate FROM erasure_requests WHERE id = ?'),
  };
}
