-- Per-call counters for the statistics (PostgreSQL port of migrations/sqlite/0011_call_facts.sql),
-- kept by a trigger as events are appended, so the statistics read the calls projection and
-- this table instead of scanning events. Like `calls`, a projection: rebuildable from events,
-- not evidence. events.data is `json` (see 0001): ->> reads it as SQLite's json_extract does.
CREATE TABLE call_facts (
  call_id TEXT PRIMARY KEY,
  notice_completed INTEGER NOT NULL DEFAULT 0,
  abandoned_in_notice INTEGER NOT NULL DEFAULT 0,
  objections INTEGER NOT NULL DEFAULT 0,
  clause_listens INTEGER NOT NULL DEFAULT 0
);

-- Whether an event counts in call_facts (the WHEN of SQLite's trigger).
CREATE FUNCTION is_call_fact(kind TEXT, data JSON) RETURNS BOOLEAN LANGUAGE sql IMMUTABLE AS $$
  SELECT (kind = 'prompt.played' AND data->>'step' = 'notice' AND data->>'playback' = 'completed')
    OR kind IN ('clause.listened', 'objection.made')
    OR (kind = 'call.abandoned' AND data->>'step' = 'notice')
$$;

INSERT INTO call_facts (call_id, notice_completed, abandoned_in_notice, objections, clause_listens)
SELECT call_id,
  count(*) FILTER (WHERE kind = 'prompt.played'),
  count(*) FILTER (WHERE kind = 'call.abandoned'),
  count(*) FILTER (WHERE kind = 'objection.made'),
  count(*) FILTER (WHERE kind = 'clause.listened')
FROM events
WHERE call_id IS NOT NULL AND is_call_fact(kind, data)
GROUP BY call_id;

-- Per statement, not per row: a ledger batch is one INSERT of up to a thousand events, and
-- this adds one grouped upsert to it (it runs under the ledger lock). Only ledger writers
-- insert events, one transaction at a time, so the upsert never waits on another's row lock.
CREATE FUNCTION events_call_facts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO call_facts (call_id, notice_completed, abandoned_in_notice, objections, clause_listens)
  SELECT call_id,
    count(*) FILTER (WHERE kind = 'prompt.played'),
    count(*) FILTER (WHERE kind = 'call.abandoned'),
    count(*) FILTER (WHERE kind = 'objection.made'),
    count(*) FILTER (WHERE kind = 'clause.listened')
  FROM appended
  WHERE call_id IS NOT NULL AND is_call_fact(kind, data)
  GROUP BY call_id
  ON CONFLICT (call_id) DO UPDATE SET
    notice_completed = call_facts.notice_completed + excluded.notice_completed,
    abandoned_in_notice = call_facts.abandoned_in_notice + excluded.abandoned_in_notice,
    objections = call_facts.objections + excluded.objections,
    clause_listens = call_facts.clause_listens + excluded.clause_listens;
  RETURN NULL;
END;
$$;

CREATE TRIGGER events_call_facts AFTER INSERT ON events
  REFERENCING NEW TABLE AS appended
  FOR EACH STATEMENT EXECUTE FUNCTION events_call_facts();
