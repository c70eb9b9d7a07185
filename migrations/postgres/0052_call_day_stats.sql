-- The console's overview counters per UTC day, flow and language (PostgreSQL port of
-- migrations/sqlite/0052_call_day_stats.sql): kept by triggers on `calls` and `call_facts`, which
-- ledger writers change inside their batch, under the ledger lock, so the upserts never race.
-- A projection, rebuildable from `calls` and `call_facts` (the INSERT below), not evidence.
CREATE TABLE call_day_stats (
  day TEXT NOT NULL,
  flow_id TEXT NOT NULL,
  language TEXT NOT NULL,
  calls INTEGER NOT NULL DEFAULT 0,
  continued INTEGER NOT NULL DEFAULT 0,
  objected INTEGER NOT NULL DEFAULT 0,
  abandoned INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  clause_listens INTEGER NOT NULL DEFAULT 0,
  marketing_yes INTEGER NOT NULL DEFAULT 0,
  marketing_no INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (day, flow_id, language)
);

INSERT INTO call_day_stats (day, flow_id, language, calls, continued, objected, abandoned, failed, clause_listens, marketing_yes, marketing_no)
SELECT substr(c.started_at, 1, 10), c.flow_id, coalesce(c.language, ''), count(*),
  count(*) FILTER (WHERE c.outcome = 'continued'), count(*) FILTER (WHERE c.outcome = 'objected'),
  count(*) FILTER (WHERE c.outcome = 'abandoned'), count(*) FILTER (WHERE c.outcome = 'failed'),
  coalesce(sum(f.clause_listens), 0), count(*) FILTER (WHERE c.marketing = 'yes'), count(*) FILTER (WHERE c.marketing = 'no')
FROM calls c LEFT JOIN call_facts f ON f.call_id = c.call_id
GROUP BY 1, 2, 3;

-- Adds one call's figures (n = 1) or takes them away (n = -1); `clause` is already signed.
CREATE FUNCTION call_day_stats_add(d TEXT, flow TEXT, lang TEXT, n INTEGER, outcome TEXT, marketing TEXT, clause INTEGER) RETURNS void LANGUAGE sql AS $$
  INSERT INTO call_day_stats AS s (day, flow_id, language, calls, continued, objected, abandoned, failed, clause_listens, marketing_yes, marketing_no)
  VALUES (d, flow, lang, n,
    n * coalesce(outcome = 'continued', false)::int, n * coalesce(outcome = 'objected', false)::int,
    n * coalesce(outcome = 'abandoned', false)::int, n * coalesce(outcome = 'failed', false)::int,
    clause, n * coalesce(marketing = 'yes', false)::int, n * coalesce(marketing = 'no', false)::int)
  ON CONFLICT (day, flow_id, language) DO UPDATE SET
    calls = s.calls + excluded.calls, continued = s.continued + excluded.continued, objected = s.objected + excluded.objected,
    abandoned = s.abandoned + excluded.abandoned, failed = s.failed + excluded.failed, clause_listens = s.clause_listens + excluded.clause_listens,
    marketing_yes = s.marketing_yes + excluded.marketing_yes, marketing_no = s.marketing_no + excluded.marketing_no
$$;

CREATE FUNCTION calls_day_stats() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  clause INTEGER := coalesce((SELECT clause_listens FROM call_facts WHERE call_id = NEW.call_id), 0);
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF OLD.started_at IS NOT DISTINCT FROM NEW.started_at AND OLD.flow_id IS NOT DISTINCT FROM NEW.flow_id
      AND OLD.language IS NOT DISTINCT FROM NEW.language AND OLD.outcome IS NOT DISTINCT FROM NEW.outcome
      AND OLD.marketing IS NOT DISTINCT FROM NEW.marketing THEN
      RETURN NULL;
    END IF;
    PERFORM call_day_stats_add(substr(OLD.started_at, 1, 10), OLD.flow_id, coalesce(OLD.language, ''), -1, OLD.outcome, OLD.marketing, -clause);
  END IF;
  PERFORM call_day_stats_add(substr(NEW.started_at, 1, 10), NEW.flow_id, coalesce(NEW.language, ''), 1, NEW.outcome, NEW.marketing, clause);
  RETURN NULL;
END;
$$;

CREATE TRIGGER calls_day_stats AFTER INSERT OR UPDATE OF started_at, flow_id, language, outcome, marketing ON calls
  FOR EACH ROW EXECUTE FUNCTION calls_day_stats();

-- A clause listened to: counted on the call's row (once the call is there; before, the insert above counts it).
CREATE FUNCTION call_facts_day_stats() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  delta INTEGER := NEW.clause_listens - (CASE WHEN TG_OP = 'UPDATE' THEN OLD.clause_listens ELSE 0 END);
BEGIN
  IF delta <> 0 THEN
    UPDATE call_day_stats s SET clause_listens = s.clause_listens + delta FROM calls c
    WHERE c.call_id = NEW.call_id AND s.day = substr(c.started_at, 1, 10) AND s.flow_id = c.flow_id AND s.language = coalesce(c.language, '');
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER call_facts_day_stats AFTER INSERT OR UPDATE OF clause_listens ON call_facts
  FOR EACH ROW EXECUTE FUNCTION call_facts_day_stats();
