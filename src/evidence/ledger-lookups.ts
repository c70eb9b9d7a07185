import type { PgQueryable } from '../db/pg.js';
import type { SqliteDatabase } from '../db/sqlite.js';

/**
 * Questions other modules ask the ledger, answered on their own connection (so inside their own
 * transactions when they have one). Only src/evidence names the `events` table
 * (test/architecture/ledger-tables.test.ts).
 */
export interface LedgerLookups {
  /** Is there an event of `kind` on call `callId`? */
  hasCallEvent(callId: string, kind: string): Promise<boolean>;
  /** Is there an event of `kind` naming recording `recordingId`, on call `callId` (null: on no call)? */
  hasRecordingEvent(callId: string | null, kind: string, recordingId: string): Promise<boolean>;
}

const CALL_EVENT = 'SELECT 1 FROM events WHERE call_id = ? AND kind = ? LIMIT 1';

/** hasRecordingEvent's look-ups on SQLite; migration 0031's index `events_recording` serves both. */
export const SQLITE_RECORDING_EVENT_SQL = {
  ofCall: `SELECT 1 FROM events WHERE call_id = ? AND kind = ? AND json_extract(data, '$.recordingId') = ? LIMIT 1`,
  nullCall: `SELECT 1 FROM events WHERE call_id IS NULL AND kind = ? AND json_extract(data, '$.recordingId') = ? LIMIT 1`,
} as const;

// The ledger's data column is json (the hashed text as stored): ->> reads it without a cast.
/** hasRecordingEvent's look-ups on PostgreSQL; migration 0031's index `events_recording` serves both. */
export const PG_RECORDING_EVENT_SQL = {
  ofCall: `SELECT 1 FROM events WHERE call_id = $1 AND kind = $2 AND data->>'recordingId' = $3 LIMIT 1`,
  nullCall: `SELECT 1 FROM events WHERE call_id IS NULL AND kind = $1 AND data->>'recordingId' = $2 LIMIT 1`,
} as const;

/** The look-ups on a SQLite connection, prepared once. */
export function sqliteLedgerLookups(db: SqliteDatabase): LedgerLookups {
  const callEvent = db.prepare(CALL_EVENT);
  const recordingOfCall = db.prepare(SQLITE_RECORDING_EVENT_SQL.ofCall);
  const recordingNoCall = db.prepare(SQLITE_RECORDING_EVENT_SQL.nullCall);
  return {
    hasCallEvent: async (callId, kind) => callEvent.get(callId, kind) !== undefined,
    hasRecordingEvent: async (callId, kind, recordingId) =>
      (callId === null ? recordingNoCall.get(kind, recordingId) : recordingOfCall.get(callId, kind, recordingId)) !== undefined,
  };
}

/** The look-ups on a PostgreSQL pool or client. */
export function pgLedgerLookups(db: PgQueryable): LedgerLookups {
  const exists = async (sql: string, params: unknown[]) => ((await db.query(sql, params)).rowCount ?? 0) > 0;
  return {
    hasCallEvent: (callId, kind) => exists('SELECT 1 FROM events WHERE call_id = $1 AND kind = $2 LIMIT 1', [callId, kind]),
    hasRecordingEvent: (callId, kind, recordingId) =>
      callId === null
        ? exists(PG_RECORDING_EVENT_SQL.nullCall, [kind, recordingId])
        : exists(PG_RECORDING_EVENT_SQL.ofCall, [callId, kind, recordingId]),
  };
}
