-- PostgreSQL port of migrations/sqlite/0055_retention_runs.sql.
-- The retention sweep's reports (src/retention/sweep-report.ts), one row per finished run (real or
-- dry), so the DPO can see what the last sweeps deleted and what they kept, and why. The report
-- names recordings and calls only, never a caller. Not evidence (the deletions themselves are
-- ledger events): rows may be pruned at any time.
CREATE TABLE retention_runs (
  id TEXT PRIMARY KEY,
  started_at TEXT NOT NULL,
  finished_at TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('done', 'lease_lost')),
  dry_run INTEGER NOT NULL CHECK (dry_run IN (0, 1)),
  -- the SweepReport as JSON
  report TEXT NOT NULL
);
CREATE INDEX retention_runs_started ON retention_runs (started_at);
