-- The marketing consent registry: the current marketing state per caller (by the peppered
-- look-up key), kept by triggers as consent events are appended, so outbound dialers can ask
-- about many numbers at once. A projection, not evidence: `consentline marketing rebuild`
-- derives it again from the events (and `--check` proves this table equals that derivation).
-- Rules (the same as src/evidence/marketing.ts); each row rests on one event, the latest:
--   consent.marketing decision yes       → given (controller, channels, the question's version)
--   consent.marketing decision no        → withdrawn (refused when asked: never to be asked again by a marketing call)
--   consent.withdrawn consent=marketing  → withdrawn (the caller named by data.subject; how = its channel)
CREATE TABLE marketing_consents (
  lookup_key TEXT PRIMARY KEY,
  state TEXT NOT NULL CHECK (state IN ('given', 'withdrawn')),
  since TEXT NOT NULL,
  seq INTEGER NOT NULL,
  call_id TEXT,
  how TEXT NOT NULL,
  controller TEXT,
  channels TEXT,
  text_version TEXT
) STRICT, WITHOUT ROWID;

-- "promptId/lang@version" of the last marketing question played in the call before `seq`.
CREATE VIEW marketing_prompt_versions AS
SELECT call_id, seq,
  json_extract(data, '$.promptId') || '/' || json_extract(data, '$.lang') || '@' || json_extract(data, '$.version') AS text_version
FROM events
WHERE kind = 'prompt.played' AND json_extract(data, '$.step') = 'marketing';

CREATE TRIGGER events_marketing_answer AFTER INSERT ON events
WHEN NEW.kind = 'consent.marketing' AND json_extract(NEW.data, '$.decision') IN ('yes', 'no')
BEGIN
  INSERT INTO marketing_consents (lookup_key, state, since, seq, call_id, how, controller, channels, text_version)
  SELECT s.lookup_key, CASE json_extract(NEW.data, '$.decision') WHEN 'yes' THEN 'given' ELSE 'withdrawn' END,
    NEW.at, NEW.seq, NEW.call_id, 'call',
    json_extract(NEW.data, '$.controller'),
    json_extract(NEW.data, '$.channels'),
    (SELECT p.text_version FROM marketing_prompt_versions p WHERE p.call_id = NEW.call_id AND p.seq < NEW.seq ORDER BY p.seq DESC LIMIT 1)
  FROM subjects s WHERE s.call_id = NEW.call_id
  ON CONFLICT (lookup_key) DO UPDATE SET
    state = excluded.state, since = excluded.since, seq = excluded.seq, call_id = excluded.call_id, how = excluded.how,
    controller = excluded.controller, channels = excluded.channels, text_version = excluded.text_version;
END;

-- The caller of a withdrawal: data.subject (written before its event, as both engines' writers
-- do), else the subject of the call it was made in.
CREATE TRIGGER events_marketing_withdrawn AFTER INSERT ON events
WHEN NEW.kind = 'consent.withdrawn' AND json_extract(NEW.data, '$.consent') = 'marketing'
BEGIN
  INSERT INTO marketing_consents (lookup_key, state, since, seq, call_id, how)
  SELECT s.lookup_key, 'withdrawn', NEW.at, NEW.seq, NEW.call_id, coalesce(json_extract(NEW.data, '$.channel'), 'unknown')
  FROM subjects s
  WHERE s.commitment = json_extract(NEW.data, '$.subject')
    OR (json_extract(NEW.data, '$.subject') IS NULL AND s.call_id = NEW.call_id)
  ON CONFLICT (lookup_key) DO UPDATE SET
    state = excluded.state, since = excluded.since, seq = excluded.seq, call_id = excluded.call_id, how = excluded.how,
    controller = NULL, channels = NULL, text_version = NULL;
END;

-- Once every record of a caller is erased, the registry forgets the caller too (state none:
-- no marketing call without consent, PKE art. 398). A partial erasure (a retention sweep of old
-- calls) is settled by the rebuild the retention service runs after erasing.
CREATE TRIGGER subjects_marketing_erased AFTER DELETE ON subjects
BEGIN
  DELETE FROM marketing_consents
  WHERE lookup_key = OLD.lookup_key AND NOT EXISTS (SELECT 1 FROM subjects s WHERE s.lookup_key = OLD.lookup_key);
END;
