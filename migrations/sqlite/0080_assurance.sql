-- Recording assurance (docs/auditor-guide.md, "Recording assurance"): Asterisk's own channel
-- event records (CEL, collected over AMI), the assurance runs and their findings.
-- No personal data: CEL's caller-ID fields, extensions and application arguments other than the
-- Stasis application's name and MixMonitor's file name are dropped on receipt.

-- One row per CEL event as Asterisk sent it. `received_at` is ConsentLine's clock (CEL's EventTime
-- is Asterisk's local time without a zone, kept as text); `id` the order of arrival.
CREATE TABLE asterisk_cel (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  received_at TEXT NOT NULL,
  event_time TEXT NOT NULL,
  event_name TEXT NOT NULL,
  uniqueid TEXT NOT NULL,
  linkedid TEXT NOT NULL,
  -- The channel technology only (PJSIP, Local…): a channel name can hold a dialled number.
  channel_tech TEXT NOT NULL,
  context TEXT NOT NULL,
  application TEXT NOT NULL,
  -- Stasis: the application name; MixMonitor: the file name; anything else: ''.
  app_arg TEXT NOT NULL
) STRICT;
CREATE INDEX asterisk_cel_received ON asterisk_cel (received_at);
CREATE INDEX asterisk_cel_linkedid ON asterisk_cel (linkedid);

-- Each reconciliation: when, over which window, started how, and its counts (JSON).
CREATE TABLE assurance_runs (
  id TEXT PRIMARY KEY,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  window_from TEXT NOT NULL,
  window_to TEXT NOT NULL,
  trigger TEXT NOT NULL CHECK (trigger IN ('schedule', 'cli', 'api')),
  status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
  summary TEXT
) STRICT;
CREATE INDEX assurance_runs_started ON assurance_runs (started_at);

-- A finding is one thing that does not reconcile; its id is derived from its kind and subject, so
-- a later run that sees it again updates the same row. `resolved`: a later run over its window no
-- longer saw it (e.g. a late upload arrived). Acknowledgement: the DPO's reason, kept here; the
-- ledger holds its SHA-256 (`assurance.acknowledged`).
CREATE TABLE assurance_findings (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  call_id TEXT,
  recording_id TEXT,
  occurred_at TEXT NOT NULL,
  detail TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('open', 'acknowledged', 'resolved')),
  first_run TEXT NOT NULL,
  last_run TEXT NOT NULL,
  first_seen_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  acknowledged_by TEXT,
  acknowledged_at TEXT,
  ack_reason TEXT
) STRICT;
CREATE INDEX assurance_findings_status ON assurance_findings (status, kind);
CREATE INDEX assurance_findings_occurred ON assurance_findings (occurred_at);
