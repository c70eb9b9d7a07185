-- The evidence ledger (PostgreSQL port of migrations/sqlite/0001_ledger.sql): one hash chain
-- over all calls, shared by every ConsentLine instance on this database. seq is assigned by
-- the writer under the ledger lock, never by a sequence, because it is part of the hashed body.
CREATE TABLE events (
  seq BIGINT PRIMARY KEY,
  call_id TEXT,
  at TEXT NOT NULL,
  kind TEXT NOT NULL,
  -- `json`, not `jsonb`: json keeps the input text byte for byte, so what is stored is exactly
  -- the canonical text that was hashed (jsonb would reorder keys and rewrite numbers).
  data JSON NOT NULL,
  prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64),
  hash TEXT NOT NULL CHECK (length(hash) = 64),
  -- No two events may link to the same predecessor: a fork cannot be stored, whatever a
  -- writer does wrong, besides being prevented by the ledger lock.
  CONSTRAINT events_no_fork UNIQUE (prev_hash)
);

CREATE INDEX events_call ON events (call_id, seq) WHERE call_id IS NOT NULL;

-- Append-only by construction; changing evidence needs a deliberate DROP TRIGGER (or a
-- superuser's session_replication_role), which verification would expose anyway.
CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'evidence events are append-only';
END;
$$;

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
  FOR EACH ROW EXECUTE FUNCTION events_append_only();
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
  FOR EACH ROW EXECUTE FUNCTION events_append_only();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
  FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();

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
);

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
);

CREATE INDEX subjects_lookup ON subjects (lookup_key);
CREATE INDEX subjects_call ON subjects (call_id);
