// The retention queries both engines run as they are, written once with `?` placeholders
// (PostgreSQL gets them numbered by `numbered`). What differs between the engines (JSON paths,
// transactions, array parameters) lives in repo-sqlite.ts and repo-pg.ts.
import { cutoffs, type Policies } from './policy.js';
import type { HoldScope } from './repo.js';

/** 1 when an active hold covers call `c` (a number on both engines, not a boolean). */
export const HELD = `CASE WHEN EXISTS (SELECT 1 FROM legal_holds h WHERE h.released_at IS NULL AND (
    (h.scope = 'call' AND h.target = c.call_id) OR (h.scope = 'flow' AND h.target = c.flow_id)
    OR (h.scope = 'caller' AND h.target = c.caller_lookup))) THEN 1 ELSE 0 END`;

const CANDIDATE_COLUMNS = `r.id, r.call_id, r.object_key, r.version_id, r.retain_until, r.started_at, r.disposition, r.claimed_until,
  c.flow_id, d.state AS mark_state, d.reason AS mark_reason, ${HELD} AS held`;

export const SQL = {
  leaseAcquire: `INSERT INTO retention_leases (name, holder, expires_at, acquired_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at, acquired_at = excluded.acquired_at
    WHERE retention_leases.expires_at <= ? OR retention_leases.holder = excluded.holder`,
  leaseRenew: 'UPDATE retention_leases SET expires_at = ? WHERE name = ? AND holder = ? AND expires_at > ?',
  leaseRelease: 'DELETE FROM retention_leases WHERE name = ? AND holder = ?',
  leaseGet: 'SELECT holder, expires_at FROM retention_leases WHERE name = ?',
  settleForeign: `UPDATE retention_deletions SET state = 'deleted', detail = 'deleted by the recordings pipeline', finished_at = ?
    WHERE state = 'deleting' AND recording_id IN (SELECT id FROM recordings WHERE state = 'deleted')`,
  unfinished: `SELECT r.id, r.call_id, d.object_key, d.version_id, r.retain_until, r.started_at, r.disposition, r.claimed_until,
      c.flow_id, d.state AS mark_state, d.reason AS mark_reason, ${HELD} AS held
    FROM retention_deletions d JOIN recordings r ON r.id = d.recording_id LEFT JOIN calls c ON c.call_id = r.call_id
    WHERE d.state = 'deleting' ORDER BY d.recording_id LIMIT ?`,
  markGet: 'SELECT state, reason, attempts FROM retention_deletions WHERE recording_id = ?',
  callsOfCaller: `SELECT x.call_id, c.flow_id, c.started_at, ${HELD.replace('h.target = c.call_id', 'h.target = x.call_id')} AS held
    FROM (SELECT call_id FROM calls WHERE caller_lookup = ?
          UNION SELECT call_id FROM subjects WHERE lookup_key = ? AND call_id IS NOT NULL) x
    LEFT JOIN calls c ON c.call_id = x.call_id
    ORDER BY c.started_at, x.call_id`,
  holdInsert: `INSERT INTO legal_holds (id, scope, target, reason, set_by, set_by_name, set_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
  holdGet: 'SELECT * FROM legal_holds WHERE id = ?',
  holdsActive: 'SELECT * FROM legal_holds WHERE released_at IS NULL ORDER BY set_at DESC, id LIMIT ?',
  holdsAll: 'SELECT * FROM legal_holds ORDER BY set_at DESC, id LIMIT ?',
  holdRequest: `UPDATE legal_holds SET release_requested_by = ?, release_requested_by_name = ?, release_requested_subject = ?, release_requested_at = ?,
    release_reason = ? WHERE id = ? AND released_at IS NULL AND release_requested_by IS NULL`,
  holdApprove: `UPDATE legal_holds SET released_by = ?, released_by_name = ?, released_at = ?
    WHERE id = ? AND released_at IS NULL AND release_requested_by IS NOT NULL AND release_requested_by <> ?
      AND (release_requested_subject IS NULL OR release_requested_subject <> ?)`,
  holdsOnCall: `SELECT h.id FROM legal_holds h JOIN calls c ON c.call_id = ?
    WHERE h.released_at IS NULL AND ((h.scope = 'call' AND h.target = c.call_id) OR (h.scope = 'flow' AND h.target = c.flow_id)
      OR (h.scope = 'caller' AND h.target = c.caller_lookup))
    ORDER BY h.set_at, h.id`,
  /** Stored S3 objects whose Object Lock legal hold is not what the active holds say. */
  holdMirrorDue: `SELECT id, object_key, version_id, held FROM (
      SELECT r.id, r.object_key, r.version_id, coalesce(r.legal_hold_mirrored, 0) AS mirrored, ${HELD} AS held
      FROM recordings r LEFT JOIN calls c ON c.call_id = r.call_id
      WHERE r.state = 'done' AND r.store = 's3' AND r.object_key IS NOT NULL AND r.id > ?) x
    WHERE mirrored <> held ORDER BY id LIMIT ?`,
  holdMirrored: 'UPDATE recordings SET legal_hold_mirrored = ? WHERE id = ?',
  erasureInsert: 'INSERT INTO erasure_requests (id, requested_by, requested_at) VALUES (?, ?, ?)',
  erasureFinish: 'UPDATE erasure_requests SET done_at = ?, certificate = ? WHERE id = ?',
  erasureGet: 'SELECT certificate FROM erasure_requests WHERE id = ?',
  erasureRow: 'SELECT id, requested_by, requested_at, done_at, certificate FROM erasure_requests WHERE id = ?',
  erasureRows: 'SELECT id, requested_by, requested_at, done_at, certificate FROM erasure_requests ORDER BY requested_at DESC, id DESC LIMIT ?',
  sweepInsert: 'INSERT INTO retention_runs (id, started_at, finished_at, status, dry_run, report) VALUES (?, ?, ?, ?, ?, ?)',
  sweepRows: 'SELECT report FROM retention_runs ORDER BY started_at DESC, id DESC LIMIT ?',
} as const;

export interface Query {
  readonly sql: string;
  readonly params: unknown[];
}

/** Parameters of {@link SQL.leaseAcquire}, in order. */
export function leaseAcquireParams(name: string, holder: string, now: number, ttlMs: number): unknown[] {
  return [name, holder, now + ttlMs, new Date(now).toISOString(), now];
}

/** `CASE c.flow_id WHEN ? THEN ? … ELSE ? END`, or one `?` when no flow has its own cut-off. */
function cutoffCase(c: { flows: [string, string][]; fallback: string }, params: unknown[]): string {
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
}

export function dueRecordingsQuery(policies: Policies, now: number, after: string, limit: number): Query {
  const params: unknown[] = [after];
  const keepCase = cutoffCase(cutoffs(policies, 'recordingsDays', now), params);
  const quarCase = cutoffCase(cutoffs(policies, 'quarantineDays', now), params);
  params.push(new Date(now).toISOString(), limit);
  const sql = `SELECT ${CANDIDATE_COLUMNS}
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
  return { sql, params };
}

export function dueEvidenceQuery(policies: Policies, now: number, after: string, limit: number): Query {
  const params: unknown[] = [after];
  const cut = cutoffCase(cutoffs(policies, 'evidenceDays', now), params);
  params.push(limit);
  // A call whose consent event is what the marketing registry's entry for its caller rests on
  // keeps its caller data: it is the proof of that consent (Art. 7(1)) or of its withdrawal, and
  // erasing it would let the registry fall back to an older event (or none) on the next rebuild.
  const sql = `SELECT c.call_id, c.flow_id, c.started_at, ${HELD} AS held,
      CASE WHEN EXISTS (SELECT 1 FROM marketing_consents m WHERE m.call_id = c.call_id) THEN 1 ELSE 0 END AS backs_consent
    FROM calls c
    WHERE c.call_id > ? AND c.started_at <= ${cut}
      AND (c.caller_lookup IS NOT NULL OR c.caller_masked IS NOT NULL OR EXISTS (SELECT 1 FROM subjects s WHERE s.call_id = c.call_id))
    ORDER BY c.call_id LIMIT ?`;
  return { sql, params };
}

export function callsCoveredByQuery(scope: HoldScope, target: string, limit: number): Query {
  const col = scope === 'call' ? 'call_id' : scope === 'flow' ? 'flow_id' : 'caller_lookup';
  return { sql: `SELECT call_id FROM calls WHERE ${col} = ? ORDER BY started_at, call_id LIMIT ?`, params: [target, limit] };
}

/** The columns {@link CallRecording} reads. */
export const CALL_RECORDING_COLUMNS = `id, call_id, state, object_key, version_id, retain_until, started_at, stopped_at, disposition, claimed_until,
  plaintext_bytes, plaintext_sha256, context_id, store`;
