-- The console's overview counters per UTC day, flow and language (issue 21), kept by triggers on
-- `calls` and `call_facts`, so GET /stats/overview reads one row per day, flow and language of
-- its period instead of every call (at 10M events a 30-day period holds some 80,000 calls). Like
-- `call_facts`, a projection: rebuildable from `calls` and `call_facts` (the INSERT below), not
-- evidence. `language` is '' when none was chosen; a row whose calls moved away stays at zero.
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
) STRICT, WITHOUT ROWID;

INSERT INTO call_day_stats (day, flow_id, language, calls, continued, objected, abandoned, failed, clause_listens, marketing_yes, marketing_no)
SELECT substr(c.started_at, 1, 10), c.flow_id, coalesce(c.language, ''), count(*),
  sum(c.outcome IS 'continued'), sum(c.outcome IS 'objected'), sum(c.outcome IS 'abandoned'), sum(c.outcome IS 'failed'),
  coalesce(sum(f.clause_listens), 0), sum(c.marketing IS 'yes'), sum(c.marketing IS 'no')
FROM calls c LEFT JOIN call_facts f ON f.call_id = c.call_id
GROUP BY 1, 2, 3;

-- A new call counts where it started, with any clause listens its events already brought.
CREATE TRIGGER calls_day_stats_insert AFTER INSERT ON calls
BEGIN
  INSERT INTO call_day_stats (day, flow_id, language, calls, continued, objected, abandoned, failed, clause_listens, marketing_yes, marketing_no)
  VALUES (substr(NEW.started_at, 1, 10), NEW.flow_id, coalesce(NEW.language, ''), 1,
    NEW.outcome IS 'continued', NEW.outcome IS 'objected', NEW.outcome IS 'abandoned', NEW.outcome IS 'failed',
    coalesce((SELECT clause_listens FROM call_facts WHERE call_id = NEW.call_id), 0), NEW.marketing IS 'yes', NEW.marketing IS 'no')
  ON CONFLICT (day, flow_id, language) DO UPDATE SET
    calls = calls + excluded.calls, continued = continued + excluded.continued, objected = objected + excluded.objected,
    abandoned = abandoned + excluded.abandoned, failed = failed + excluded.failed, clause_listens = clause_listens + excluded.clause_listens,
    marketing_yes = marketing_yes + excluded.marketing_yes, marketing_no = marketing_no + excluded.marketing_no;
END;

-- An outcome, a marketing answer or a language set later: the call's old figures out, its new ones in.
CREATE TRIGGER calls_day_stats_update AFTER UPDATE OF started_at, flow_id, language, outcome, marketing ON calls
WHEN OLD.started_at IS NOT NEW.started_at OR OLD.flow_id IS NOT NEW.flow_id OR OLD.language IS NOT NEW.language
  OR OLD.outcome IS NOT NEW.outcome OR OLD.marketing IS NOT NEW.marketing
BEGIN
  UPDATE call_day_stats SET
    calls = calls - 1, continued = continued - (OLD.outcome IS 'continued'), objected = objected - (OLD.outcome IS 'objected'),
    abandoned = abandoned - (OLD.outcome IS 'abandoned'), failed = failed - (OLD.outcome IS 'failed'),
    clause_listens = clause_listens - coalesce((SELECT clause_listens FROM call_facts WHERE call_id = OLD.call_id), 0),
    marketing_yes = marketing_yes - (OLD.marketing IS 'yes'), marketing_no = marketing_no - (OLD.marketing IS 'no')
  WHERE day = substr(OLD.started_at, 1, 10) AND flow_id = OLD.flow_id AND language = coalesce(OLD.language, '');
  INSERT INTO call_day_stats (day, flow_id, language, calls, continued, objected, abandoned, failed, clause_listens, marketing_yes, marketing_no)
  VALUES (substr(NEW.started_at, 1, 10), NEW.flow_id, coalesce(NEW.language, ''), 1,
    NEW.outcome IS 'continued', NEW.outcome IS 'objected', NEW.outcome IS 'abandoned', NEW.outcome IS 'failed',
    coalesce((SELECT clause_listens FROM call_facts WHERE call_id = NEW.call_id), 0), NEW.marketing IS 'yes', NEW.marketing IS 'no')
  ON CONFLICT (day, flow_id, language) DO UPDATE SET
    calls = calls + excluded.calls, continued = continued + excluded.continued, objected = objected + excluded.objected,
    abandoned = abandoned + excluded.abandoned, failed = failed + excluded.failed, clause_listens = clause_listens + excluded.clause_listens,
    marketing_yes = marketing_yes + excluded.marketing_yes, marketing_no = marketing_no + excluded.marketing_no;
END;

-- A clause listened to: counted on the call's row (once the call is there; before, the insert above counts it).
CREATE TRIGGER call_facts_day_stats_insert AFTER INSERT ON call_facts WHEN NEW.clause_listens <> 0
BEGIN
  UPDATE call_day_stats SET clause_listens = clause_listens + NEW.clause_listens
  WHERE (day, flow_id, language) = (SELECT substr(started_at, 1, 10), flow_id, coalesce(language, '') FROM calls WHERE call_id = NEW.call_id);
END;

CREATE TRIGGER call_facts_day_stats_update AFTER UPDATE OF clause_listens ON call_facts WHEN NEW.clause_listens IS NOT OLD.clause_listens
BEGIN
  UPDATE call_day_stats SET clause_listens = clause_listens + NEW.clause_listens - OLD.clause_listens
  WHERE (day, flow_id, language) = (SELECT substr(started_at, 1, 10), flow_id, coalesce(language, '') FROM calls WHERE call_id = NEW.call_id);
END;
