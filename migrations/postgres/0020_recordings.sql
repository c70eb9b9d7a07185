-- The durable recordings pipeline (PostgreSQL port of migrations/sqlite/0020_recordings.sql):
-- one row per recording file, its state the step reached.
--   captured → spooled → encrypted → uploaded → verified → done (local copies deleted)
--   quarantined recordings go the same way under the quarantine prefix, then done → deleted
--   failed: given up (source file gone, conflicting object); the source file is kept.
-- No personal data: ids, hashes, sizes, object keys and error codes only.
-- Timestamps stay ISO-8601 TEXT as in SQLite, so both engines compare them the same way.
-- Several instances share this table: a worker claims a row (claimed_by, claimed_until)
-- with FOR UPDATE SKIP LOCKED before working on it.
CREATE TABLE recordings (
  id TEXT PRIMARY KEY,
  -- CONSENT_ID when it names a call in the ledger form (UUID); NULL for an unknown call.
  call_id TEXT,
  source TEXT NOT NULL CHECK (source IN ('spool', 'ari')),
  -- File name in the spool dir, or the ARI stored recording name (without format).
  source_name TEXT NOT NULL,
  -- How the pipeline learnt of it: an AMI event or the periodic scan.
  found_by TEXT NOT NULL CHECK (found_by IN ('ami', 'scan')),
  channel_uniqueid TEXT,
  linkedid TEXT,
  state TEXT NOT NULL CHECK (state IN ('captured', 'spooled', 'encrypted', 'uploaded', 'verified', 'done', 'deleted', 'failed')),
  disposition TEXT CHECK (disposition IN ('keep', 'quarantine')),
  quarantine_reason TEXT,
  started_at TEXT NOT NULL,
  stopped_at TEXT,
  stop_reason TEXT,
  -- The encryption context's call_id: call_id, or this row's id for an unknown call.
  context_id TEXT NOT NULL,
  -- BIGINT: SQLite's INTEGER is 64-bit, and a long recording may pass 2 GiB.
  plaintext_bytes BIGINT,
  plaintext_sha256 TEXT,
  ciphertext_bytes BIGINT,
  ciphertext_sha256 TEXT,
  key_id TEXT,
  store TEXT,
  object_key TEXT,
  version_id TEXT,
  retain_until TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT,
  last_error TEXT,
  last_error_at TEXT,
  claimed_by TEXT,
  claimed_until TEXT,
  delete_after TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

-- One live row per file: a name comes back only after its earlier row is finished.
CREATE UNIQUE INDEX recordings_live_source ON recordings (source, source_name)
  WHERE state NOT IN ('done', 'deleted', 'failed');
CREATE INDEX recordings_due ON recordings (state, next_attempt_at);
CREATE INDEX recordings_call ON recordings (call_id);
CREATE INDEX recordings_quarantine_due ON recordings (delete_after) WHERE state = 'done' AND delete_after IS NOT NULL;
