-- A least-privilege API role for outbound dialers: marketing consent look-ups and nothing else.
ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_role_check;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_role_check CHECK (role IN ('auditor', 'dpo', 'admin', 'dialer'));
