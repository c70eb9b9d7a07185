-- Per-call counters for the statistics, kept by a trigger as events are appended, so the
-- statistics read the calls projection and this table instead of scanning events. Like
-- `calls`, a projection: rebuildable from events, not evidence.
CREATE TABLE call_facts (
  call_id TEXT PRIMARY KEY,
  notice_completed INTEGER NOT NULL DEFAULT 0,
  abandoned_in_notice INTEGER NOT NULL DEFAULT 0,
  objections INTEGER NOT NULL DEFAULT 0,
  clause_listens INTEGER NOT NULL DEFAULT 0
) STRICT, WITHOUT ROWID;

INSERT INTO call_facts (call_id, notice_completed, abandoned_in_notice, objections, clause_listens)
SELECT call_id,
  sum(kind = 'prompt.played'),
  sum(kind = 'call.abandoned'),
  sum(kind = 'objection.made'),
  sum(kind = 'clause.listened')
FROM events
WHERE call_id IS NOT NULL AND (
  (kind = 'prompt.played' AND json_extract(data, '$.step') = 'notice' AND json_extract(data, '$.playback') = 'completed')
  OR kind IN ('clause.listened', 'objection.made')
  OR (kind = 'call.abandoned' AND json_extract(data, '$.step') = 'notice'))
GROUP BY call_id;

CREATE TRIGGER events_call_facts AFTER INSERT ON events
WHEN NEW.call_id IS NOT NULL AND (
  (NEW.kind = 'prompt.played' AND json_extract(NEW.data, '$.step') = 'notice' AND json_extract(NEW.data, '$.playback') = 'completed')
  OR NEW.kind IN ('clause.listened', 'objection.made')
  OR (NEW.kind = 'call.abandoned' AND json_extract(NEW.data, '$.step') = 'notice'))
BEGIN
  INSERT INTO call_facts (call_id, notice_completed, abandoned_in_notice, objections, clause_listens)
  VALUES (NEW.call_id, NEW.kind = 'prompt.played', NEW.kind = 'call.abandoned', NEW.kind = 'objection.made', NEW.kind = 'clause.listened')
  ON CONFLICT (call_id) DO UPDATE SET
    notice_completed = notice_completed + excluded.notice_completed,
    abandoned_in_notice = abandoned_in_notice + excluded.abandoned_in_notice,
    objections = objections + excluded.objections,
    clause_listens = clause_listens + excluded.clause_listens;
END;
