import type { SqliteDatabase } from '../../db/sqlite.js';

export const RECORDING_STATES = ['captured', 'spooled', 'encrypted', 'uploaded', 'verified', 'done', 'deleted', 'failed'] as const;
export type RecordingState = (typeof RECORDING_STATES)[number];

/** States the upload queue counts: the file is closed and not yet safely stored. */
export const QUEUED_STATES: readonly RecordingState[] = ['spooled', 'encrypted', 'uploaded', 'verified'];

export type QuarantineReason = 'no_consent' | 'unknown_call' | 'do_not_record' | 'id_mismatch';

/** One row of `recordings` (migration 0020), as stored. */
export interface RecordingRow {
  readonly id: string;
  readonly call_id: string | null;
  readonly source: 'spool' | 'ari';
  readonly source_name: string;
  readonly found_by: 'ami' | 'scan';
  readonly channel_uniqueid: string | null;
  readonly linkedid: string | null;
  readonly state: RecordingState;
  readonly disposition: 'keep' | 'quarantine' | null;
  readonly quarantine_reason: QuarantineReason | null;
  readonly started_at: string;
  readonly stopped_at: string | null;
  readonly stop_reason: string | null;
  readonly context_id: string;
  readonly plaintext_bytes: number | null;
  readonly plaintext_sha256: string | null;
  readonly ciphertext_bytes: number | null;
  readonly ciphertext_sha256: string | null;
  readonly key_id: string | null;
  readonly store: string | null;
  readonly object_key: string | null;
  readonly version_id: string | null;
  readonly retain_until: string | null;
  readonly attempts: number;
  readonly next_attempt_at: string | null;
  readonly last_error: string | null;
  readonly last_error_at: string | null;
  readonly claimed_by: string | null;
  readonly claimed_until: string | null;
  readonly delete_after: string | null;
  readonly created_at: string;
  readonly updated_at: string;
}

export type RecordingPatch = Partial<Omit<RecordingRow, 'id' | 'created_at'>>;

export interface NewRecording {
  readonly id: string;
  readonly callId: string | null;
  readonly source: 'spool' | 'ari';
  readonly sourceName: string;
  readonly foundBy: 'ami' | 'scan';
  readonly uniqueid: string | null;
  readonly linkedid: string | null;
  readonly state: 'captured' | 'spooled';
  readonly startedAt: string;
  readonly stoppedAt?: string | null;
  readonly stopReason?: string | null;
  readonly contextId: string;
}

const PATCHABLE = new Set<string>([
  'call_id', 'state', 'disposition', 'quarantine_reason', 'stopped_at', 'stop_reason', 'plaintext_bytes', 'plaintext_sha256',
  'ciphertext_bytes', 'ciphertext_sha256', 'key_id', 'store', 'object_key', 'version_id', 'retain_until', 'attempts',
  'next_attempt_at', 'last_error', 'last_error_at', 'claimed_by', 'claimed_until', 'delete_after', 'updated_at',
]);

/**
 * The pipeline's table on the service's SQLite file. Synchronous (better-sqlite3); every method
 * is one statement or one transaction, so a crash leaves each row in a state it had.
 */
export class RecordingRepo {
  readonly #db: SqliteDatabase;
  readonly #st: ReturnType<typeof prepare>;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    this.#st = prepare(db);
  }

  /** Inserts a row unless a live one for the same file exists; returns the live row either way. */
  insert(r: NewRecording, now: string): { row: RecordingRow; created: boolean } {
    return this.#db.transaction(() => {
      const existing = this.liveBySource(r.source, r.sourceName);
      if (existing) return { row: existing, created: false };
      this.#st.insert.run({
        id: r.id,
        callId: r.callId,
        source: r.source,
        sourceName: r.sourceName,
        foundBy: r.foundBy,
        uniqueid: r.uniqueid,
        linkedid: r.linkedid,
        state: r.state,
        startedAt: r.startedAt,
        stoppedAt: r.stoppedAt ?? null,
        stopReason: r.stopReason ?? null,
        contextId: r.contextId,
        nextAttemptAt: r.state === 'spooled' ? now : null,
        now,
      });
      return { row: this.get(r.id)!, created: true };
    }).immediate();
  }

  get(id: string): RecordingRow | null {
    return (this.#st.get.get(id) as RecordingRow | undefined) ?? null;
  }

  liveBySource(source: string, name: string): RecordingRow | null {
    return (this.#st.live.get(source, name) as RecordingRow | undefined) ?? null;
  }

  /** True when a row for this file gave up: the scan must not pick the kept file up again. */
  hasFailed(source: string, name: string): boolean {
    return this.#st.failed.get(source, name) !== undefined;
  }

  /** captured → spooled (the file is closed). Returns the row, or null when it was not `captured`. */
  markSpooled(id: string, stoppedAt: string, reason: string, now: string): RecordingRow | null {
    const n = this.#st.spool.run({ id, stoppedAt, reason, now }).changes;
    return n ? this.get(id) : null;
  }

  /** Applies `patch` to the row if `worker` still holds its claim (or `worker` is null). */
  update(id: string, patch: RecordingPatch, worker: string | null): RecordingRow {
    const keys = Object.keys(patch).filter((k) => PATCHABLE.has(k));
    if (keys.length === 0) return this.get(id)!;
    const sets = keys.map((k) => `${k} = @${k}`).join(', ');
    const guard = worker === null ? '' : ' AND claimed_by = @__worker';
    const params: Record<string, unknown> = { __id: id };
    if (worker !== null) params['__worker'] = worker;
    for (const k of keys) params[k] = (patch as Record<string, unknown>)[k] ?? null;
    const res = this.#db.prepare(`UPDATE recordings SET ${sets} WHERE id = @__id${guard}`).run(params);
    if (res.changes !== 1) throw new LostClaimError(id);
    return this.get(id)!;
  }

  /**
   * Claims the next due row for `worker` until `until`: a file closed and not yet done, or a
   * quarantined recording past its deletion date. Atomic: one UPDATE … RETURNING.
   */
  claimNext(worker: string, now: string, until: string): RecordingRow | null {
    return (this.#st.claim.get({ worker, now, until }) as RecordingRow | undefined) ?? null;
  }

  extendClaim(id: string, worker: string, until: string): boolean {
    return this.#st.extend.run(until, id, worker).changes === 1;
  }

  releaseClaim(id: string, worker: string): void {
    this.#st.release.run(id, worker);
  }

  /** Claims left by an earlier run of this instance (crash, SIGKILL) are stale: free them. */
  releaseAllOf(worker: string): number {
    return this.#st.releaseAll.run(worker).changes;
  }

  list(opts: { state?: RecordingState; limit?: number } = {}): RecordingRow[] {
    const limit = opts.limit ?? 1000;
    return (opts.state ? this.#st.listState.all(opts.state, limit) : this.#st.listAll.all(limit)) as RecordingRow[];
  }

  /** The recordings of one call, oldest first (playback and the API's list). */
  ofCall(callId: string): RecordingRow[] {
    return this.#st.ofCall.all(callId) as RecordingRow[];
  }

  /** Recordings waiting for a verified upload, and when the oldest of them closed. */
  queueStats(): { depth: number; oldest: string | null } {
    const r = this.#st.queue.get() as { depth: number; oldest: string | null };
    return { depth: r.depth, oldest: r.oldest };
  }

  countByState(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.#st.byState.all() as { state: string; n: number }[]) out[r.state] = r.n;
    return out;
  }

  /** Whether the ledger already holds `kind` for this recording (a retry after a crash must not write it twice). */
  hasEvent(kind: string, callId: string | null, recordingId: string): boolean {
    const row = callId === null ? this.#st.eventNullCall.get(kind, recordingId) : this.#st.eventOfCall.get(callId, kind, recordingId);
    return row !== undefined;
  }
}

export class LostClaimError extends Error {
  override readonly name = 'LostClaimError';
  readonly code = 'CLAIM_LOST';
  constructor(id: string) {
    super(`recording ${id}: the claim on it was lost (another worker took it over)`);
  }
}

function prepare(db: SqliteDatabase) {
  const q = ['spooled', 'encrypted', 'uploaded', 'verified'].map((s) => `'${s}'`).join(', ');
  return {
    insert: db.prepare(
      `INSERT INTO recordings (id, call_id, source, source_name, found_by, channel_uniqueid, linkedid, state, started_at,
         stopped_at, stop_reason, context_id, next_attempt_at, created_at, updated_at)
       VALUES (@id, @callId, @source, @sourceName, @foundBy, @uniqueid, @linkedid, @state, @startedAt,
         @stoppedAt, @stopReason, @contextId, @nextAttemptAt, @now, @now)`,
    ),
    get: db.prepare('SELECT * FROM recordings WHERE id = ?'),
    live: db.prepare(
      `SELECT * FROM recordings WHERE source = ? AND source_name = ? AND state NOT IN ('done', 'deleted', 'failed')`,
    ),
    failed: db.prepare(`SELECT 1 FROM recordings WHERE source = ? AND source_name = ? AND state = 'failed' LIMIT 1`),
    spool: db.prepare(
      `UPDATE recordings SET state = 'spooled', stopped_at = @stoppedAt, stop_reason = @reason, next_attempt_at = @now, updated_at = @now
       WHERE id = @id AND state = 'captured'`,
    ),
    claim: db.prepare(
      `UPDATE recordings SET claimed_by = @worker, claimed_until = @until, updated_at = @now
       WHERE id = (
         SELECT id FROM recordings
         WHERE ((state IN (${q}) AND (next_attempt_at IS NULL OR next_attempt_at <= @now))
                OR (state = 'done' AND delete_after IS NOT NULL AND delete_after <= @now
                    AND (next_attempt_at IS NULL OR next_attempt_at <= @now)))
           AND (claimed_until IS NULL OR claimed_until < @now)
         ORDER BY coalesce(next_attempt_at, created_at) LIMIT 1)
       RETURNING *`,
    ),
    extend: db.prepare('UPDATE recordings SET claimed_until = ? WHERE id = ? AND claimed_by = ?'),
    release: db.prepare('UPDATE recordings SET claimed_by = NULL, claimed_until = NULL WHERE id = ? AND claimed_by = ?'),
    releaseAll: db.prepare('UPDATE recordings SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = ?'),
    listAll: db.prepare('SELECT * FROM recordings ORDER BY created_at DESC LIMIT ?'),
    ofCall: db.prepare('SELECT * FROM recordings WHERE call_id = ? ORDER BY started_at, id LIMIT 1000'),
    listState: db.prepare('SELECT * FROM recordings WHERE state = ? ORDER BY created_at DESC LIMIT ?'),
    queue: db.prepare(
      `SELECT count(*) AS depth, min(coalesce(stopped_at, created_at)) AS oldest FROM recordings WHERE state IN (${q})`,
    ),
    byState: db.prepare('SELECT state, count(*) AS n FROM recordings GROUP BY state'),
    eventOfCall: db.prepare(
      `SELECT 1 FROM events WHERE call_id = ? AND kind = ? AND json_extract(data, '$.recordingId') = ? LIMIT 1`,
    ),
    eventNullCall: db.prepare(
      `SELECT 1 FROM events WHERE call_id IS NULL AND kind = ? AND json_extract(data, '$.recordingId') = ? LIMIT 1`,
    ),
  };
}
