import { numbered, type PgQueryable } from '../db/pg.js';
import type { SqliteDatabase } from '../db/sqlite.js';

/**
 * Questions other modules ask about calls, answered from the ledger's projections (`calls`, one
 * row per call; `subjects`, the erasable caller data behind the chain; `marketing_consents`) on
 * their own connection. Only src/evidence names those tables (test/architecture/ledger-tables.test.ts):
 * retention asks "calls of flow F started before T that still hold caller data", "the calls of
 * this caller", "the flow and caller of these calls", and erases a call's caller data through it.
 */
export interface CallFacts {
  /** Flow, start and caller look-up key of these calls; an id the projection lacks is absent. */
  facts(callIds: readonly string[]): Promise<Map<string, CallFact>>;
  /**
   * A caller's calls by look-up key, from the projection and from the subjects table, oldest
   * first (a call only the subjects table names comes back with null flow and start).
   */
  callsOfCaller(lookupKey: string): Promise<CallFactOrId[]>;
  /** The ids of the calls of one call id, flow or caller look-up key, oldest first, at most `limit`. */
  callsWhere(field: CallField, value: string, limit: number): Promise<string[]>;
  /**
   * Calls started at or before their flow's cut-off that still hold caller data (look-up key,
   * masked number or a subject row), a page by call id after `after`, each with whether the
   * caller's marketing registry entry rests on it.
   */
  callerDataDue(cut: FlowCutoffs, after: string, limit: number): Promise<CallerDataDue[]>;
  /**
   * Erases the caller data of these calls, atomically: subject rows (number, salt, look-up key,
   * mask) and the projection's look-up key and masked number. The chained events stay and keep
   * verifying. Returns how many subject rows went.
   */
  eraseCallerData(callIds: readonly string[]): Promise<number>;
}

export interface CallFact {
  readonly call_id: string;
  readonly flow_id: string;
  readonly started_at: string;
  readonly caller_lookup: string | null;
}

export type CallFactOrId = { readonly call_id: string } & { readonly [K in Exclude<keyof CallFact, 'call_id'>]: CallFact[K] | null };

export interface CallerDataDue extends CallFact {
  /** 1 when the caller's entry in the marketing registry rests on this call's consent event. */
  readonly backs_consent: 0 | 1;
}

export type CallField = 'call' | 'flow' | 'caller';

/** ISO instants: a flow's cut-off, and the one for every flow not listed. */
export interface FlowCutoffs {
  readonly flows: ReadonlyArray<readonly [flowId: string, cutoff: string]>;
  readonly fallback: string;
}

const COLUMNS = 'call_id, flow_id, started_at, caller_lookup';
const FIELD: Record<CallField, string> = { call: 'call_id', flow: 'flow_id', caller: 'caller_lookup' };

const CALLS_OF_CALLER = `SELECT x.call_id, c.flow_id, c.started_at, c.caller_lookup
  FROM (SELECT call_id FROM calls WHERE caller_lookup = ?
        UNION SELECT call_id FROM subjects WHERE lookup_key = ? AND call_id IS NOT NULL) x
  LEFT JOIN calls c ON c.call_id = x.call_id
  ORDER BY c.started_at, x.call_id`;

const callsWhereSql = (field: CallField) => `SELECT call_id FROM calls WHERE ${FIELD[field]} = ? ORDER BY started_at, call_id LIMIT ?`;

/** `CASE c.flow_id WHEN ? THEN ? … ELSE ? END`, or one `?` when no flow has its own cut-off. */
function cutoffCase(cut: FlowCutoffs, params: unknown[]): string {
  if (cut.flows.length === 0) {
    params.push(cut.fallback);
    return '?';
  }
  let sql = 'CASE c.flow_id';
  for (const [flow, at] of cut.flows) {
    sql += ' WHEN ? THEN ?';
    params.push(flow, at);
  }
  params.push(cut.fallback);
  return `${sql} ELSE ? END`;
}

function callerDataDueQuery(cut: FlowCutoffs, after: string, limit: number): { sql: string; params: unknown[] } {
  const params: unknown[] = [after];
  const due = cutoffCase(cut, params);
  params.push(limit);
  const sql = `SELECT c.call_id, c.flow_id, c.started_at, c.caller_lookup,
      CASE WHEN EXISTS (SELECT 1 FROM marketing_consents m WHERE m.call_id = c.call_id) THEN 1 ELSE 0 END AS backs_consent
    FROM calls c
    WHERE c.call_id > ? AND c.started_at <= ${due}
      AND (c.caller_lookup IS NOT NULL OR c.caller_masked IS NOT NULL OR EXISTS (SELECT 1 FROM subjects s WHERE s.call_id = c.call_id))
    ORDER BY c.call_id LIMIT ?`;
  return { sql, params };
}

const byId = (rows: CallFact[]) => new Map(rows.map((r) => [r.call_id, r]));

/** The answers on a SQLite connection. */
export function sqliteCallFacts(db: SqliteDatabase): CallFacts {
  const ofCaller = db.prepare(CALLS_OF_CALLER);
  const where = { call: db.prepare(callsWhereSql('call')), flow: db.prepare(callsWhereSql('flow')), caller: db.prepare(callsWhereSql('caller')) };
  const deleteSubjects = db.prepare('DELETE FROM subjects WHERE call_id = ?');
  const clearCaller = db.prepare('UPDATE calls SET caller_lookup = NULL, caller_masked = NULL WHERE call_id = ?');
  return {
    async facts(callIds) {
      const rows: CallFact[] = [];
      // SQLite's bound-parameter limit: 500 ids a statement.
      for (let i = 0; i < callIds.length; i += 500) {
        const part = callIds.slice(i, i + 500);
        rows.push(...(db.prepare(`SELECT ${COLUMNS} FROM calls WHERE call_id IN (${part.map(() => '?').join(',')})`).all(...part) as CallFact[]));
      }
      return byId(rows);
    },
    callsOfCaller: async (lookupKey) => ofCaller.all(lookupKey, lookupKey) as CallFactOrId[],
    callsWhere: async (field, value, limit) => (where[field].all(value, limit) as { call_id: string }[]).map((r) => r.call_id),
    async callerDataDue(cut, after, limit) {
      const q = callerDataDueQuery(cut, after, limit);
      return db.prepare(q.sql).all(...q.params) as CallerDataDue[];
    },
    eraseCallerData: async (callIds) =>
      db
        .transaction(() => {
          let n = 0;
          for (const id of callIds) {
            n += deleteSubjects.run(id).changes;
            clearCaller.run(id);
          }
          return n;
        })
        .immediate(),
  };
}

const PG_ERASE = `WITH erased AS (DELETE FROM subjects WHERE call_id = ANY($1) RETURNING 1),
    cleared AS (UPDATE calls SET caller_lookup = NULL, caller_masked = NULL WHERE call_id = ANY($1))
  SELECT count(*)::int AS n FROM erased`;

/** The answers on a PostgreSQL pool or client; each write is one statement. */
export function pgCallFacts(db: PgQueryable): CallFacts {
  const rows = async <R>(sql: string, params: unknown[]) => (await db.query(numbered(sql), params)).rows as R[];
  return {
    facts: async (callIds) => byId(callIds.length === 0 ? [] : await rows<CallFact>(`SELECT ${COLUMNS} FROM calls WHERE call_id = ANY(?)`, [callIds])),
    callsOfCaller: (lookupKey) => rows<CallFactOrId>(CALLS_OF_CALLER, [lookupKey, lookupKey]),
    callsWhere: async (field, value, limit) => (await rows<{ call_id: string }>(callsWhereSql(field), [value, limit])).map((r) => r.call_id),
    async callerDataDue(cut, after, limit) {
      const q = callerDataDueQuery(cut, after, limit);
      return rows<CallerDataDue>(q.sql, q.params);
    },
    eraseCallerData: async (callIds) => (callIds.length === 0 ? 0 : (await db.query<{ n: number }>(PG_ERASE, [callIds])).rows[0]!.n),
  };
}
