-- PostgreSQL port of migrations/sqlite/0031_events_recording_index.sql: the pipeline's "is there
-- already a <kind> event for this recording?" without a scan of the call's (or all call-less) events.
CREATE INDEX events_recording ON events ((data->>'recordingId'), kind)
  WHERE data->>'recordingId' IS NOT NULL;
