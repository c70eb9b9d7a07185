-- A least-privilege API role for agent desktops and payment IVRs (issue 23): pause and resume a
-- call's recording, nothing else.
ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_role_check;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_role_check CHECK (role IN ('auditor', 'dpo', 'admin', 'dialer', 'agent-desktop'));
