import type { MarketingEntry, MarketingSourceEvent, RegistryDifference } from './marketing.js';

/** One number's registry entry, as the look-up port answers it. */
export type { MarketingEntry } from './marketing.js';

/** A row of marketing_consents, as both engines return it. */
export interface MarketingRow {
  lookup_key: string;
  state: string;
  since: string;
  seq: number;
  call_id: string | null;
  how: string;
  controller: string | null;
  channels: string | null;
  text_version: string | null;
}

export const MARKETING_COLUMNS = 'lookup_key, state, since, seq, call_id, how, controller, channels, text_version';

export function toMarketingEntry(r: MarketingRow): MarketingEntry {
  return {
    lookupKey: r.lookup_key,
    state: r.state as MarketingEntry['state'],
    since: r.since,
    seq: Number(r.seq),
    callId: r.call_id,
    how: r.how,
    controller: r.controller,
    channels: r.channels === null ? null : (JSON.parse(r.channels) as string[]),
    textVersion: r.text_version,
  };
}

/**
 * The registry rows a look-up found, as both engines give them: one JSON text, an array of
 * [lookup_key, state, since, seq, call_id, how, controller, channels (as JSON), text_version].
 * One text parsed at once costs a fraction of 9 columns × ~700 rows turned into JS values one
 * by one (issue 22).
 */
export function entriesFromJson(json: string): Map<string, MarketingEntry> {
  const rows = JSON.parse(json) as Array<[string, MarketingEntry['state'], string, number, string | null, string, string | null, string[] | null, string | null]>;
  const out = new Map<string, MarketingEntry>();
  for (const [lookupKey, state, since, seq, callId, how, controller, channels, textVersion] of rows) {
    out.set(lookupKey, { lookupKey, state, since, seq, callId, how, controller, channels, textVersion });
  }
  return out;
}

/** The row values of an entry, in {@link MARKETING_COLUMNS} order. */
export function marketingRowValues(e: MarketingEntry): unknown[] {
  return [e.lookupKey, e.state, e.since, e.seq, e.callId, e.how, e.controller, e.channels === null ? null : JSON.stringify(e.channels), e.textVersion];
}

/** An event row of the derivation query: the event and its caller's look-up key. */
export interface SourceRow {
  seq: number;
  at: string;
  call_id: string | null;
  kind: string;
  data: string;
  lookup_key: string | null;
}

export function toSourceEvent(r: SourceRow): MarketingSourceEvent {
  let data: { [k: string]: unknown };
  try {
    data = JSON.parse(r.data) as { [k: string]: unknown };
  } catch {
    data = {};
  }
  return { seq: Number(r.seq), at: r.at, callId: r.call_id, kind: r.kind, data, lookupKey: r.lookup_key };
}

/**
 * The events the registry is derived from, each with its caller's look-up key: through the
 * call's subject for an answer given in a call, through `data.subject` for a withdrawal that
 * names its caller (else, again, the call's subject).
 * `field(x, name)` reads a JSON text field in the engine's dialect.
 */
export function sourceSql(field: (column: string, name: string) => string): string {
  return `SELECT e.seq, e.at, e.call_id, e.kind, e.data,
    CASE WHEN e.kind = 'consent.withdrawn' AND ${field('e.data', 'subject')} IS NOT NULL
      THEN (SELECT s.lookup_key FROM subjects s WHERE s.commitment = ${field('e.data', 'subject')})
      WHEN e.kind IN ('consent.marketing', 'consent.withdrawn')
      THEN (SELECT s.lookup_key FROM subjects s WHERE s.call_id = e.call_id ORDER BY s.commitment LIMIT 1)
    END AS lookup_key
  FROM events e
  WHERE e.kind IN ('consent.marketing', 'consent.withdrawn')
    OR (e.kind = 'prompt.played' AND ${field('e.data', 'step')} = 'marketing')
  ORDER BY e.seq`;
}

/** The registry as stored beside what the ledger says it should be. */
export interface RegistryCheck {
  readonly entries: number;
  readonly differences: readonly RegistryDifference[];
}

/** The marketing registry on one engine. */
export interface MarketingRegistryRepo {
  /** The entries of the given look-up keys (absent: state none). */
  lookup(lookupKeys: readonly string[]): Promise<Map<string, MarketingEntry>>;
  /** Derives the registry from the events and compares it with the table, on one snapshot. */
  check(): Promise<RegistryCheck>;
  /** Replaces the table with what the events say; appends wait meanwhile. Returns the entries written. */
  rebuild(): Promise<{ readonly entries: number; readonly replacedDifferences: number }>;
}
