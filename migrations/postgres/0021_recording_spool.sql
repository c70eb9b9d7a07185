-- Which spool a recording's file is on (PostgreSQL port of migrations/sqlite/0021_recording_spool.sql;
-- recordings.spoolId, default the instance id). Instances with the same spoolId see the same spool
-- and work directories (shared storage) and take over each other's rows; a worker claims only rows
-- of its own spool. NULL (rows from before this migration, or inserted by a tool) means any spool:
-- claimable by every instance, as before.
ALTER TABLE recordings ADD COLUMN spool_id TEXT;

-- The claim: this spool's (or no spool's) due rows.
CREATE INDEX recordings_spool_due ON recordings (spool_id, state, next_attempt_at);
