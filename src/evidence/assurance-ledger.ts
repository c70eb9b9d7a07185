import type { PgQueryable } from '../db/pg.js';
import type { SqliteDatabase } from '../db/sqlite.js';
import type { JsonValue } from './types.js';

/**
 * What recording assurance asks the ledger (docs/auditor-guide.md, "Recording assurance"): the
 * calls of a window with the events that say whether they were, or were not, recorded, and the
 * recording events that name no call. Only src/evidence names the ledger's tables.
 */
export interface AssuranceLedger {
  /** Calls started in [from, to), oldest first, each with its `call.started`, `consent.recording`, outcome and `recording.*` events. */
  callsBetween(from: string, to: string): Promise<LedgerCall[]>;
  /** The calls with these ids (whenever they started), as {@link callsBetween} gives them. */
  callsByIds(ids: readonly string[]): Promise<LedgerCall[]>;
  /** `recording.*` events on no call (unknown recordings) appended in [from, to). */
  unattachedRecordingEvents(from: string, to: string): Promise<LedgerEventFact[]>;
}

export interface LedgerEventFact {
  readonly seq: number;
  readonly kind: string;
  readonly at: string;
  readonly data: { readonly [k: string]: JsonValue };
}

export interface LedgerCall {
  readonly callId: string;
  readonly startedAt: string;
  readonly server: string | null;
  readonly outcome: string | null;
  /** The calls projection's recording decision. */
  readonly recording: 'yes' | 'no' | null;
  /** The Asterisk channel `call.started` names (ARI channel id = AMI/CEL uniqueid). */
  readonly channelId: string | null;
  readonly events: readonly LedgerEventFact[];
}

/** The events assurance reads on a call: its start, decision, outcome and every recording event. */
const CALL_KINDS_SQL = `(e.kind LIKE 'recording.%' OR e.kind IN ('call.started', 'consent.recording', 'call.continued', 'call.failed', 'call.abandoned', 'retention.deleted', 'erasure.done'))`;

interface Row {
  call_id: string;
  started_at: string;
  server: string | null;
  outcome: string | null;
  recording: 'yes' | 'no' | null;
  seq: number | string;
  kind: string;
  at: string;
  data: string | Record<string, JsonValue>;
}

const callsSql = (p: (n: number) => string, dataCol: string) => `SELECT c.call_id, c.started_at, c.server, c.outcome, c.recording, e.seq, e.kind, e.at, ${dataCol} AS data
  FROM calls c JOIN events e ON e.call_id = c.call_id
  WHERE c.started_at >= ${p(1)} AND c.started_at < ${p(2)} AND ${CALL_KINDS_SQL}
  ORDER BY c.started_at, c.call_id, e.seq`;
const byIdsSql = (p: (n: number) => string, dataCol: string, n: number) => `SELECT c.call_id, c.started_at, c.server, c.outcome, c.recording, e.seq, e.kind, e.at, ${dataCol} AS data
  FROM calls c JOIN events e ON e.call_id = c.call_id
  WHERE c.call_id IN (${Array.from({ length: n }, (_, i) => p(i + 1)).join(', ')}) AND ${CALL_KINDS_SQL}
  ORDER BY c.started_at, c.call_id, e.seq`;
const CHUNK = 200;

async function inChunks(ids: readonly string[], fetch: (part: readonly string[]) => Promise<Row[]>): Promise<LedgerCall[]> {
  const out: LedgerCall[] = [];
  for (let i = 0; i < ids.length; i += CHUNK) out.push(...toCalls(await fetch(ids.slice(i, i + CHUNK))));
  return out;
}
const unattachedSql = (p: (n: number) => string, dataCol: string) => `SELECT e.seq, e.kind, e.at, ${dataCol} AS data FROM events e
  WHERE e.call_id IS NULL AND e.kind LIKE 'recording.%' AND e.at >= ${p(1)} AND e.at < ${p(2)} ORDER BY e.seq`;

function parse(data: Row['data']): { [k: string]: JsonValue } {
  if (typeof data !== 'string') return data;
  try {
    const v = JSON.parse(data) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as { [k: string]: JsonValue }) : {};
  } catch {
    return {};
  }
}

const fact = (r: Pick<Row, 'seq' | 'kind' | 'at' | 'data'>): LedgerEventFact => ({ seq: Number(r.seq), kind: r.kind, at: r.at, data: parse(r.data) });

function toCalls(rows: readonly Row[]): LedgerCall[] {
  const calls: Array<{ -readonly [K in keyof LedgerCall]: LedgerCall[K] } & { events: LedgerEventFact[] }> = [];
  for (const r of rows) {
    let call = calls.at(-1);
    if (call?.callId !== r.call_id) {
      call = { callId: r.call_id, startedAt: r.started_at, server: r.server, outcome: r.outcome, recording: r.recording, channelId: null, events: [] };
      calls.push(call);
    }
    const f = fact(r);
    call.events.push(f);
    if (f.kind === 'call.started' && typeof f.data['channelId'] === 'string') call.channelId = f.data['channelId'];
  }
  return calls;
}

/** On a SQLite connection. */
export function sqliteAssuranceLedger(db: SqliteDatabase): AssuranceLedger {
  const q = () => '?';
  const calls = db.prepare<[string, string], Row>(callsSql(q, 'e.data'));
  const unattached = db.prepare<[string, string], Row>(unattachedSql(q, 'e.data'));
  return {
    callsBetween: async (from, to) => toCalls(calls.all(from, to)),
    callsByIds: (ids) => inChunks(ids, async (part) => db.prepare<string[], Row>(byIdsSql(q, 'e.data', part.length)).all(...part)),
    unattachedRecordingEvents: async (from, to) => unattached.all(from, to).map(fact),
  };
}

/** On a PostgreSQL pool or client. */
export function pgAssuranceLedger(db: PgQueryable): AssuranceLedger {
  const p = (n: number) => `$${n}`;
  return {
    callsBetween: async (from, to) => toCalls((await db.query<Row>(callsSql(p, 'e.data::text'), [from, to])).rows),
    callsByIds: (ids) => inChunks(ids, async (part) => (await db.query<Row>(byIdsSql(p, 'e.data::text', part.length), [...part])).rows),
    unattachedRecordingEvents: async (from, to) => (await db.query<Row>(unattachedSql(p, 'e.data::text'), [from, to])).rows.map(fact),
  };
}
