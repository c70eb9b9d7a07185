-- A least-privilege API role for outbound dialers: marketing consent look-ups and nothing else.
-- SQLite cannot change a CHECK in place, so the token table is copied into a new one.
CREATE TABLE api_tokens_new (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('auditor', 'dpo', 'admin', 'dialer')),
  token_hash TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  revoked_at TEXT
) STRICT;
INSERT INTO api_tokens_new (id, name, role, token_hash, created_at, revoked_at)
SELECT id, name, role, token_hash, created_at, revoked_at FROM api_tokens;
DROP TABLE api_tokens;
ALTER TABLE api_tokens_new RENAME TO api_tokens;
