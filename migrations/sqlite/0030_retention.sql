-- Retention, legal holds and data-subject requests (src/retention/).
-- No caller numbers: a hold on a caller names them by the HMAC look-up key only.

-- Legal holds: while a row has no released_at, the items it covers are never deleted by the
-- sweep or by an erasure request. Releasing takes two different DPO tokens (four eyes).
CREATE TABLE legal_holds (
  id TEXT PRIMARY KEY,
  scope TEXT NOT NULL CHECK (scope IN ('call', 'caller', 'flow')),
  -- call id, caller look-up key (HMAC-SHA-256 with the pepper), or flow id
  target TEXT NOT NULL,
  reason TEXT NOT NULL,
  set_by TEXT NOT NULL,
  set_by_name TEXT NOT NULL,
  set_at TEXT NOT NULL,
  release_requested_by TEXT,
  release_requested_by_name TEXT,
  release_requested_at TEXT,
  release_reason TEXT,
  released_by TEXT,
  released_by_name TEXT,
  released_at TEXT,
  CHECK (released_by IS NULL OR released_by <> release_requested_by)
) STRICT;

CREATE INDEX legal_holds_active ON legal_holds (scope, target) WHERE released_at IS NULL;

-- One row per named lease (the sweep): whoever holds an unexpired row may run; renewed while running.
CREATE TABLE retention_leases (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  -- milliseconds since the epoch
  expires_at INTEGER NOT NULL,
  acquired_at TEXT NOT NULL
) STRICT;

-- Deletions of recordings from the object store, marked `deleting` before the store is called so a
-- run killed in between finishes them on restart (an absent object then counts as deleted).
-- `locked` and `failed` rows are retried by later sweeps; those of an erasure request are due at once.
CREATE TABLE retention_deletions (
  recording_id TEXT PRIMARY KEY,
  call_id TEXT,
  object_key TEXT NOT NULL,
  version_id TEXT,
  reason TEXT NOT NULL CHECK (reason IN ('retention', 'quarantine', 'erasure')),
  state TEXT NOT NULL CHECK (state IN ('deleting', 'deleted', 'locked', 'failed', 'pending')),
  run_id TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  detail TEXT,
  retain_until TEXT,
  marked_at TEXT NOT NULL,
  finished_at TEXT
) STRICT;

CREATE INDEX retention_deletions_state ON retention_deletions (state) WHERE state <> 'deleted';

-- Erasure requests (Art. 17) and the signed certificate given to the requester. The certificate
-- holds the masked number only.
CREATE TABLE erasure_requests (
  id TEXT PRIMARY KEY,
  requested_by TEXT NOT NULL,
  requested_at TEXT NOT NULL,
  done_at TEXT,
  certificate TEXT
) STRICT;
