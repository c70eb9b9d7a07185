-- The evidence ledger: one hash chain over all calls. seq is assigned by the writer, never
-- by AUTOINCREMENT, because it is part of the hashed body.
CREATE TABLE events (
  seq INTEGER PRIMARY KEY,
  call_id TEXT,
  at TEXT NOT NULL,
  kind TEXT NOT NULL,
  data TEXT NOT NULL CHECK (json_valid(data)),
  prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64),
  hash TEXT NOT NULL CHECK (length(hash) = 64)
) STRICT;

CREATE INDEX events_call ON events (call_id, seq) WHERE call_id IS NOT NULL;

-- Append-only by construction; changing evidence needs a deliberate DROP TRIGGER, which
-- verification would expose anyway.
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
  SELECT RAISE(ABORT, 'evidence events are append-only');
END;

CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
  SELECT RAISE(ABORT, 'evidence events are append-only');
END;

-- A projection for queries, rebuilt from events if ever in doubt; not evidence itself.
CREATE TABLE calls (
  call_id TEXT PRIMARY KEY,
  started_at TEXT NOT NULL,
  flow_id TEXT NOT NULL,
  did TEXT NOT NULL,
  caller_lookup TEXT,
  caller_masked TEXT,
  language TEXT,
  legal_basis TEXT NOT NULL,
  outcome TEXT CHECK (outcome IN ('continued', 'objected', 'abandoned', 'failed')),
  recording TEXT CHECK (recording IN ('yes', 'no')),
  marketing TEXT CHECK (marketing IN ('yes', 'no', 'none')),
  ended_at TEXT,
  server TEXT
) STRICT;

CREATE INDEX calls_caller_started ON calls (caller_lookup, started_at);
CREATE INDEX calls_did_started ON calls (did, started_at);
CREATE INDEX calls_flow_started ON calls (flow_id, started_at);
CREATE INDEX calls_outcome_started ON calls (outcome, started_at);
CREATE INDEX calls_started ON calls (started_at);

-- Personal data behind a commitment; erasure deletes the row, the chain keeps verifying.
CREATE TABLE subjects (
  commitment TEXT PRIMARY KEY,
  lookup_key TEXT NOT NULL,
  masked TEXT NOT NULL,
  e164 TEXT NOT NULL,
  salt TEXT NOT NULL,
  call_id TEXT
) STRICT;

CREATE INDEX subjects_lookup ON subjects (lookup_key);
CREATE INDEX subjects_call ON subjects (call_id);
