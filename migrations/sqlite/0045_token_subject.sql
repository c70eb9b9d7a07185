-- Four eyes means two persons, not two tokens: each token names the person (subject) it was
-- issued to. Tokens issued before this carry their name as their subject, so two old tokens
-- with different names still count as two persons, and two named alike as one.
ALTER TABLE api_tokens ADD COLUMN subject TEXT NOT NULL DEFAULT '';
UPDATE api_tokens SET subject = name;
-- The person who asked for a hold's release; NULL for requests made before (compared by token then).
ALTER TABLE legal_holds ADD COLUMN release_requested_subject TEXT;
