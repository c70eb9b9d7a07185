-- The console's and the API's call search filter by language (GET /calls?language=): newest first within a language.
CREATE INDEX calls_language_started ON calls (language, started_at);
