-- Browser sessions of the console (src/console/sessions.ts): the cookie's secret only as its
-- SHA-256, the API token it was exchanged for (a revoked token ends the session: the look-up
-- joins api_tokens), the per-session CSRF token, and the times the idle and absolute expiries
-- are measured from. Not evidence: ended and expired rows may be deleted at any time.
CREATE TABLE console_sessions (
  id_hash TEXT PRIMARY KEY,
  token_id TEXT NOT NULL REFERENCES api_tokens (id),
  csrf TEXT NOT NULL,
  created_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  ended_at TEXT
);
CREATE INDEX console_sessions_token ON console_sessions (token_id);
