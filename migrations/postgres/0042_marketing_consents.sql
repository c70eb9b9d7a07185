-- The marketing consent registry (PostgreSQL port of migrations/sqlite/0042_marketing_consents.sql):
-- the current marketing state per caller (by the peppered look-up key), kept by a trigger as
-- consent events are appended. A projection, not evidence: `consentline marketing rebuild`
-- derives it again from the events (and `--check` proves this table equals that derivation).
-- The rules are those of the SQLite file and src/evidence/marketing.ts.
CREATE TABLE marketing_consents (
  lookup_key TEXT PRIMARY KEY,
  state TEXT NOT NULL CHECK (state IN ('given', 'withdrawn')),
  since TEXT NOT NULL,
  seq BIGINT NOT NULL,
  call_id TEXT,
  how TEXT NOT NULL,
  controller TEXT,
  channels TEXT,
  text_version TEXT
);

-- "promptId/lang@version" of the last marketing question played in the call before `seq`.
CREATE VIEW marketing_prompt_versions AS
SELECT call_id, seq, (data->>'promptId') || '/' || (data->>'lang') || '@' || (data->>'version') AS text_version
FROM events
WHERE kind = 'prompt.played' AND data->>'step' = 'marketing';

-- Per row, only for consent events (the WHEN keeps every other append free of it). The caller
-- of a withdrawal: data.subject (written before its event, as both engines' writers do), else
-- the subject of the call it was made in.
CREATE FUNCTION events_marketing() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.kind = 'consent.marketing' AND NEW.data->>'decision' IN ('yes', 'no') THEN
    INSERT INTO marketing_consents (lookup_key, state, since, seq, call_id, how, controller, channels, text_version)
    SELECT s.lookup_key, CASE NEW.data->>'decision' WHEN 'yes' THEN 'given' ELSE 'withdrawn' END,
      NEW.at, NEW.seq, NEW.call_id, 'call', NEW.data->>'controller',
      (NEW.data->'channels')::text,
      (SELECT p.text_version FROM marketing_prompt_versions p WHERE p.call_id = NEW.call_id AND p.seq < NEW.seq ORDER BY p.seq DESC LIMIT 1)
    FROM subjects s WHERE s.call_id = NEW.call_id
    ON CONFLICT (lookup_key) DO UPDATE SET
      state = excluded.state, since = excluded.since, seq = excluded.seq, call_id = excluded.call_id, how = excluded.how,
      controller = excluded.controller, channels = excluded.channels, text_version = excluded.text_version;
  ELSIF NEW.kind = 'consent.withdrawn' AND NEW.data->>'consent' = 'marketing' THEN
    INSERT INTO marketing_consents (lookup_key, state, since, seq, call_id, how)
    SELECT s.lookup_key, 'withdrawn', NEW.at, NEW.seq, NEW.call_id, coalesce(NEW.data->>'channel', 'unknown')
    FROM subjects s
    WHERE s.commitment = NEW.data->>'subject' OR (NEW.data->>'subject' IS NULL AND s.call_id = NEW.call_id)
    ON CONFLICT (lookup_key) DO UPDATE SET
      state = excluded.state, since = excluded.since, seq = excluded.seq, call_id = excluded.call_id, how = excluded.how,
      controller = NULL, channels = NULL, text_version = NULL;
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER events_marketing AFTER INSERT ON events
  FOR EACH ROW WHEN (NEW.kind IN ('consent.marketing', 'consent.withdrawn'))
  EXECUTE FUNCTION events_marketing();

-- Once every record of a caller is erased, the registry forgets the caller too (state none:
-- no marketing call without consent, PKE art. 398). A partial erasure (a retention sweep of old
-- calls) is settled by the rebuild the retention service runs after erasing.
CREATE FUNCTION subjects_marketing_erased() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM marketing_consents
  WHERE lookup_key = OLD.lookup_key AND NOT EXISTS (SELECT 1 FROM subjects s WHERE s.lookup_key = OLD.lookup_key);
  RETURN NULL;
END;
$$;

CREATE TRIGGER subjects_marketing_erased AFTER DELETE ON subjects
  FOR EACH ROW EXECUTE FUNCTION subjects_marketing_erased();
