-- The S3 Object Lock legal hold last set on a stored recording's object by the retention
-- service (1 on, 0 off; NULL: never set). Active legal holds are copied onto the objects so the
-- store itself refuses to delete a held recording; this column says what was copied last.
ALTER TABLE recordings ADD COLUMN legal_hold_mirrored INTEGER;
