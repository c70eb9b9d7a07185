-- SQLite's 0140 merges its three AFTER INSERT triggers on events into one, since SQLite pays a
-- trigger's frame per row before testing its WHEN. Here there was nothing to merge: call_facts
-- is kept per statement over the batch (0011) and the marketing registry by one row trigger whose
-- WHEN PostgreSQL tests before calling it (0042). The id is kept in step with SQLite's.
COMMENT ON TRIGGER events_marketing ON events IS 'marketing_consents from consent.marketing and consent.withdrawn events (0042)';
