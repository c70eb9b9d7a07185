// The retention queries both engines run as they are, written once with `?` placeholders
// (PostgreSQL gets them numbered by `numbered`). What differs between the engines (JSON paths,
// transactions, array parameters) lives in repo-sqlite.ts and repo-pg.ts; the reads that need a
// recording's call are in call-scope.ts, the calls themselves come from evidence's CallFacts.

export const SQL = {
  leaseAcquire: `INSERT INTO retention_leases (name, holder, expires_at, acquired_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at, acquired_at = excluded.acquired_at
    WHERE retention_leases.expires_at <= ? OR retention_leases.holder = excluded.holder`,
  leaseRenew: 'UPDATE retention_leases SET expires_at = ? WHERE name = ? AND holder = ? AND expires_at > ?',
  leaseRelease: 'DELETE FROM retention_leases WHERE name = ? AND holder = ?',
  leaseGet: 'SELECT holder, expires_at FROM retention_leases WHERE name = ?',
  settleForeign: `UPDATE retention_deletions SET state = 'deleted', detail = 'deleted by the recordings pipeline', finished_at = ?
    WHERE state = 'deleting' AND recording_id IN (SELECT id FROM recordings WHERE state = 'deleted')`,
  markGet: 'SELECT state, reason, attempts FROM retention_deletions WHERE recording_id = ?',
  holdInsert: `INSERT INTO legal_holds (id, scope, target, reason, set_by, set_by_name, set_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
  holdGet: 'SELECT * FROM legal_holds WHERE id = ?',
  holdsActive: 'SELECT * FROM legal_holds WHERE released_at IS NULL ORDER BY set_at DESC, id LIMIT ?',
  holdsAll: 'SELECT * FROM legal_holds ORDER BY set_at DESC, id LIMIT ?',
  holdRequest: `UPDATE legal_holds SET release_requested_by = ?, release_requested_by_name = ?, release_requested_subject = ?, release_requested_at = ?,
    release_reason = ? WHERE id = ? AND released_at IS NULL AND release_requested_by IS NULL`,
  holdApprove: `UPDATE legal_holds SET released_by = ?, released_by_name = ?, released_at = ?
    WHERE id = ? AND released_at IS NULL AND release_requested_by IS NOT NULL AND release_requested_by <> ?
      AND (release_requested_subject IS NULL OR release_requested_subject <> ?)`,
  holdMirrored: 'UPDATE recordings SET legal_hold_mirrored = ? WHERE id = ?',
  erasureInsert: 'INSERT INTO erasure_requests (id, requested_by, requested_at) VALUES (?, ?, ?)',
  erasureFinish: 'UPDATE erasure_requests SET done_at = ?, certificate = ? WHERE id = ?',
  erasureGet: 'SELECT certificate FROM erasure_requests WHERE id = ?',
  erasureRow: 'SELECT id, requested_by, requested_at, done_at, certificate FROM erasure_requests WHERE id = ?',
  erasureRows: 'SELECT id, requested_by, requested_at, done_at, certificate FROM erasure_requests ORDER BY requested_at DESC, id DESC LIMIT ?',
  sweepInsert: 'INSERT INTO retention_runs (id, started_at, finished_at, status, dry_run, report) VALUES (?, ?, ?, ?, ?, ?)',
  sweepRows: 'SELECT report FROM retention_runs ORDER BY started_at DESC, id DESC LIMIT ?',
} as const;

/** Parameters of {@link SQL.leaseAcquire}, in order. */
export function leaseAcquireParams(name: string, holder: string, now: number, ttlMs: number): unknown[] {
  return [name, holder, now + ttlMs, new Date(now).toISOString(), now];
}

/** The columns {@link CallRecording} reads. */
export const CALL_RECORDING_COLUMNS = `id, call_id, state, object_key, version_id, retain_until, started_at, stopped_at, disposition, claimed_until,
  plaintext_bytes, plaintext_sha256, context_id, store`;
