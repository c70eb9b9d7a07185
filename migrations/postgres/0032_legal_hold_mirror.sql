-- PostgreSQL port of migrations/sqlite/0032_legal_hold_mirror.sql: the S3 Object Lock legal hold
-- last set on a stored recording's object (1 on, 0 off; NULL: never set).
ALTER TABLE recordings ADD COLUMN legal_hold_mirrored INTEGER;
