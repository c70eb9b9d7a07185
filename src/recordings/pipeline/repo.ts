import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from '../../db/sqlite.js';
import { sqliteLedgerLookups, type LedgerLookups } from '../../evidence/ledger-lookups.js';
import { QUEUED_STATES, type RecordingPatch, type RecordingRow, type RecordingState } from './row.js';

export { RECORDING_STATES, QUEUED_STATES, type QuarantineReason, type RecordingPatch, type RecordingRow, type RecordingState } from './row.js';

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
  /** The inserting instance's `recordings.spoolId`; absent or null: claimable by every instance. */
  readonly spoolId?: string | null;
  /** Inserted already claimed (see {@link ClaimHold}). */
  readonly claim?: ClaimHold;
}

/**
 * Who asks {@link RecordingRepository.claimNext} for work: a worker of an instance whose spool
 * and work directories are those named `spoolId` (`recordings.spoolId`). It gets rows of that
 * spool, or of none (spool_id NULL: rows from before migration 0021), never another spool's,
 * whose file this host cannot read.
 */
export interface Claimant {
  readonly worker: string;
  readonly spoolId: string;
}

/**
 * A claim taken while a row is announced in the ledger (`recording.started`/`stopped`): until its
 * holder releases it, no worker of any instance takes the row, so none makes up an event that is
 * still being written.
 */
export interface ClaimHold {
  readonly worker: string;
  readonly until: string;
}

/** Columns {@link RecordingRepository.update} may set; anything else in a patch is ignored. */
export const PATCHABLE = new Set<string>([
  'call_id', 'state', 'disposition', 'quarantine_reason', 'stopped_at', 'stop_reason', 'plaintext_bytes', 'plaintext_sha256',
  'ciphertext_bytes', 'ciphertext_sha256', 'key_id', 'store', 'object_key', 'version_id', 'retain_until', 'attempts',
  'next_attempt_at', 'last_error', 'last_error_at', 'claimed_by', 'claimed_until', 'delete_after', 'updated_at',
]);

/** The patch's columns that {@link PATCHABLE} allows, in a stable order, with null for undefined. */
export function patchColumns(patch: RecordingPatch): [string, unknown][] {
  return Object.entries(patch)
    .filter(([k]) => PATCHABLE.has(k))
    .map(([k, v]) => [k, v ?? null]);
}

const QUEUED_SQL = QUEUED_STATES.map((s) => `'${s}'`).join(', ');

/**
 * The claim's row filter, shared by both engines (`now` and `spool` are the engine's
 * placeholders): a closed file not yet done and due, or a quarantined recording past its deletion
 * date; in either case unclaimed or with an expired claim, on the claimant's spool or none. Timestamps are all `toISOString()` text of one length and
 * layout, so text comparison is chronological under any collation.
 */
export function claimableWhere(now: string, spool: string): string {
  return `(spool_id = ${spool} OR spool_id IS NULL)
         AND ((state IN (${QUEUED_SQL}) AND (next_attempt_at IS NULL OR next_attempt_at <= ${now}))
           OR (state = 'done' AND delete_after IS NOT NULL AND delete_after <= ${now}
               AND (next_attempt_at IS NULL OR next_attempt_at <= ${now})))
         AND (claimed_until IS NULL OR claimed_until < ${now})`;
}

export const INSERT_COLUMNS =
  'id, call_id, source, source_name, found_by, channel_uniqueid, linkedid, state, started_at, stopped_at, stop_reason, context_id, next_attempt_at, claimed_by, claimed_until, created_at, updated_at, spool_id';

export function spoolValues(id: string, stoppedAt: string, reason: string, now: string, claim: ClaimHold): unknown[] {
  return [stoppedAt, reason, now, now, claim.worker, claim.until, id, now, claim.worker];
}

/** The values of {@link INSERT_COLUMNS}, in that order. */
export function insertValues(r: NewRecording, now: string): unknown[] {
  return [
    r.id, r.callId, r.source, r.sourceName, r.foundBy, r.uniqueid, r.linkedid, r.state, r.startedAt,
    r.stoppedAt ?? null, r.stopReason ?? null, r.contextId, r.state === 'spooled' ? now : null, r.claim?.worker ?? null, r.claim?.until ?? null, now, now,
    r.spoolId ?? null,
  ];
}

/**
 * The pipeline's table, on either engine (SQLite: {@link RecordingRepo}; PostgreSQL:
 * `PgRecordingRepo`). Every method is one statement or one transaction, so a crash leaves each
 * row in a state it had; claims make sure that, of all the workers of all instances, one at a
 * time works on a row.
 */
export interface RecordingRepository {
  /** Inserts a row unless a live one for the same file exists; returns the live row either way. */
  insert(r: NewRecording, now: string): Promise<{ row: RecordingRow; created: boolean }>;
  get(id: string): Promise<RecordingRow | null>;
  liveBySource(source: string, name: string): Promise<RecordingRow | null>;
  /** True when a row for this file gave up: the scan must not pick the kept file up again. */
  hasFailed(source: string, name: string): Promise<boolean>;
  /** True when a row for this file was stored (done or deleted): its file was removed after that. */
  hasFinished(source: string, name: string): Promise<boolean>;
  /**
   * captured → spooled (the file is closed), claimed by `claim`. Returns the row, or null when it
   * was not `captured` or another worker holds a live claim on it.
   */
  markSpooled(id: string, stoppedAt: string, reason: string, now: string, claim: ClaimHold): Promise<RecordingRow | null>;
  /** Applies `patch` if `worker` still holds the row's claim (or `worker` is null); else {@link LostClaimError}. */
  update(id: string, patch: RecordingPatch, worker: string | null): Promise<RecordingRow>;
  /** Claims the next due row of the claimant's spool (see {@link claimableWhere}) until `until`, oldest due first. */
  claimNext(by: Claimant, now: string, until: string): Promise<RecordingRow | null>;
  extendClaim(id: string, worker: string, until: string): Promise<boolean>;
  releaseClaim(id: string, worker: string): Promise<void>;
  /** Claims left by an earlier run of this instance (crash, SIGKILL) are stale: frees them, returns how many. */
  releaseAllOf(worker: string): Promise<number>;
  /** Puts a row of no spool (from before migration 0021) on `spoolId`, whose scan lists its file; false if it has one. */
  adoptSpool(id: string, spoolId: string): Promise<boolean>;
  list(opts?: { state?: RecordingState; limit?: number }): Promise<RecordingRow[]>;
  /** The recordings of one call, oldest first (playback and the API's list). */
  ofCall(callId: string): Promise<RecordingRow[]>;
  /** Recordings waiting for a verified upload, and when the oldest of them closed. */
  queueStats(): Promise<{ depth: number; oldest: string | null }>;
  countByState(): Promise<Record<string, number>>;
  /** Whether the ledger already holds `kind` for this recording (a retry after a crash must not write it twice). */
  hasEvent(kind: string, callId: string | null, recordingId: string): Promise<boolean>;
}

/**
 * {@link RecordingRepository} on the service's SQLite file: synchronous inside (better-sqlite3);
 * SQLite serialises writers, so the claim is one UPDATE … RETURNING.
 */
export class RecordingRepo implements RecordingRepository {
  readonly #db: SqliteDatabase;
  readonly #ledger: LedgerLookups;
  readonly #st: ReturnType<typeof prepare>;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    this.#ledger = sqliteLedgerLookups(db);
    this.#st = prepare(db);
  }

  async insert(r: NewRecording, now: string): Promise<{ row: RecordingRow; created: boolean }> {
    return this.#db.transaction(() => {
      const existing = this.#live(r.source, r.sourceName);
      if (existing) return { row: existing, created: false };
      this.#st.insert.run(...insertValues(r, now));
      return { row: this.#get(r.id)!, created: true };
    }).immediate();
  }

  async get(id: string): Promise<RecordingRow | null> {
    return this.#get(id);
  }

  async liveBySource(source: string, name: string): Promise<RecordingRow | null> {
    return this.#live(source, name);
  }

  async hasFailed(source: string, name: string): Promise<boolean> {
    return this.#st.failed.get(source, name) !== undefined;
  }

  async hasFinished(source: string, name: string): Promise<boolean> {
    return this.#st.finished.get(source, name) !== undefined;
  }

  async markSpooled(id: string, stoppedAt: string, reason: string, now: string, claim: ClaimHold): Promise<RecordingRow | null> {
    const n = this.#st.spool.run(...spoolValues(id, stoppedAt, reason, now, claim)).changes;
    return n ? this.#get(id) : null;
  }

  async update(id: string, patch: RecordingPatch, worker: string | null): Promise<RecordingRow> {
    const cols = patchColumns(patch);
    if (cols.length === 0) return this.#get(id)!;
    const sets = cols.map(([k]) => `${k} = ?`).join(', ');
    const guard = worker === null ? '' : ' AND claimed_by = ?';
    const params = [...cols.map(([, v]) => v), id, ...(worker === null ? [] : [worker])];
    const res = this.#db.prepare(`UPDATE recordings SET ${sets} WHERE id = ?${guard}`).run(...params);
    if (res.changes !== 1) throw new LostClaimError(id);
    return this.#get(id)!;
  }

  async claimNext(by: Claimant, now: string, until: string): Promise<RecordingRow | null> {
    return (this.#st.claim.get({ worker: by.worker, spool: by.spoolId, now, until }) as RecordingRow | undefined) ?? null;
  }

  async extendClaim(id: string, worker: string, until: string): Promise<boolean> {
    return this.#st.extend.run(until, id, worker).changes === 1;
  }

  async releaseClaim(id: string, worker: string): Promise<void> {
    this.#st.release.run(id, worker);
  }

  async releaseAllOf(worker: string): Promise<number> {
    return this.#st.releaseAll.run(worker).changes;
  }

  async adoptSpool(id: string, spoolId: string): Promise<boolean> {
    return this.#st.adopt.run(spoolId, id).changes === 1;
  }

  async list(opts: { state?: RecordingState; limit?: number } = {}): Promise<RecordingRow[]> {
    const limit = opts.limit ?? 1000;
    return (opts.state ? this.#st.listState.all(opts.state, limit) : this.#st.listAll.all(limit)) as RecordingRow[];
  }

  async ofCall(callId: string): Promise<RecordingRow[]> {
    return this.#st.ofCall.all(callId) as RecordingRow[];
  }

  async queueStats(): Promise<{ depth: number; oldest: string | null }> {
    const r = this.#st.queue.get() as { depth: number; oldest: string | null };
    return { depth: r.depth, oldest: r.oldest };
  }

  async countByState(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const r of this.#st.byState.all() as { state: string; n: number }[]) out[r.state] = r.n;
    return out;
  }

  async hasEvent(kind: string, callId: string | null, recordingId: string): Promise<boolean> {
    return this.#ledger.hasRecordingEvent(callId, kind, recordingId);
  }

  #get(id: string): RecordingRow | null {
    return (this.#st.get.get(id) as RecordingRow | undefined) ?? null;
  }

  #live(source: string, name: string): RecordingRow | null {
    return (this.#st.live.get(source, name) as RecordingRow | undefined) ?? null;
  }
}

export class LostClaimError extends Error {
  override readonly name = 'LostClaimError';
  readonly code = 'CLAIM_LOST';
  constructor(id: string) {
    super(`recording ${id}: the claim on it was lost (another worker took it over)`);
  }
}

/** Statements both engines run as they are (`?` placeholders; PostgreSQL numbers them). */
export const SQL = {
  get: 'SELECT * FROM recordings WHERE id = ?',
  live: `SELECT * FROM recordings WHERE source = ? AND source_name = ? AND state NOT IN ('done', 'deleted', 'failed')`,
  failed: `SELECT 1 FROM recordings WHERE source = ? AND source_name = ? AND state = 'failed' LIMIT 1`,
  finished: `SELECT 1 FROM recordings WHERE source = ? AND source_name = ? AND state IN ('done', 'deleted') LIMIT 1`,
  /** Parameters: {@link spoolValues}. */
  spool: `UPDATE recordings SET state = 'spooled', stopped_at = ?, stop_reason = ?, next_attempt_at = ?, updated_at = ?, claimed_by = ?, claimed_until = ?
    WHERE id = ? AND state = 'captured' AND (claimed_until IS NULL OR claimed_until < ? OR claimed_by = ?)`,
  extend: 'UPDATE recordings SET claimed_until = ? WHERE id = ? AND claimed_by = ?',
  release: 'UPDATE recordings SET claimed_by = NULL, claimed_until = NULL WHERE id = ? AND claimed_by = ?',
  releaseAll: 'UPDATE recordings SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = ?',
  adopt: 'UPDATE recordings SET spool_id = ? WHERE id = ? AND spool_id IS NULL',
  listAll: 'SELECT * FROM recordings ORDER BY created_at DESC LIMIT ?',
  listState: 'SELECT * FROM recordings WHERE state = ? ORDER BY created_at DESC LIMIT ?',
  ofCall: 'SELECT * FROM recordings WHERE call_id = ? ORDER BY started_at, id LIMIT 1000',
  queue: `SELECT count(*) AS depth, min(coalesce(stopped_at, created_at)) AS oldest FROM recordings WHERE state IN (${QUEUED_SQL})`,
  byState: 'SELECT state, count(*) AS n FROM recordings GROUP BY state',
} as const;

function prepare(db: SqliteDatabase) {
  const st = Object.fromEntries(Object.entries(SQL).map(([k, sql]) => [k, db.prepare(sql)])) as Record<keyof typeof SQL, Statement>;
  return {
    ...st,
    insert: db.prepare(`INSERT INTO recordings (${INSERT_COLUMNS}) VALUES (${INSERT_COLUMNS.split(',').map(() => '?').join(', ')})`),
    claim: db.prepare(
      `UPDATE recordings SET claimed_by = @worker, claimed_until = @until, updated_at = @now
       WHERE id = (SELECT id FROM recordings WHERE ${claimableWhere('@now', '@spool')} ORDER BY coalesce(next_attempt_at, created_at) LIMIT 1)
       RETURNING *`,
    ),
  };
}
