-- A least-privilege API role for agent desktops and payment IVRs (issue 23): pause and resume a
-- call's recording, nothing else. SQLite cannot change a CHECK in place, so the token table is
-- copied into a new one (columns as after 0045).
CREATE TABLE api_tokens_new (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('auditor', 'dpo', 'admin', 'dialer', 'agent-desktop')),
  token_hash TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  revoked_at TEXT,
  subject TEXT NOT NULL DEFAULT ''
) STRICT;
INSERT INTO api_tokens_new (id, name, role, token_hash, created_at, revoked_at, subject)
SELECT id, name, role, token_hash, created_at, revoked_at, subject FROM api_tokens;
DROP TABLE api_tokens;
ALTER TABLE api_tokens_new RENAME TO api_tokens;
