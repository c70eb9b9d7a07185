-- The recordings pipeline asks "is there already a <kind> event for this recording?" before it
-- writes recording.started/stopped (at most once per recording across crashes and instances).
-- Without this index the question scanned every event of the call, and every call-less event.
CREATE INDEX events_recording ON events (json_extract(data, '$.recordingId'), kind)
  WHERE json_extract(data, '$.recordingId') IS NOT NULL;
