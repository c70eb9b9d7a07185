/**
 * The marketing consent registry: the current marketing state of each caller, keyed by the
 * peppered look-up key. The database keeps it up to date by triggers as events are appended
 * (migrations 0042); this module derives the same thing from the events alone, so the
 * registry can be rebuilt, and checked against the ledger, on demand. Pure: no I/O.
 */

export type MarketingState = 'given' | 'withdrawn';

/** One caller's current marketing state; a caller without a row has state `none`. */
export interface MarketingEntry {
  readonly lookupKey: string;
  readonly state: MarketingState;
  /** When the state last changed: the `at` of the event that changed it. */
  readonly since: string;
  /** The ledger seq of that event: the evidence id of the change. */
  readonly seq: number;
  /** The call it happened in, or null (a withdrawal received by letter or e-mail). */
  readonly callId: string | null;
  /** `call`, or the channel of a recorded withdrawal (`letter`, `email`, `phone`…). */
  readonly how: string;
  /** The controller named in the consent question. */
  readonly controller: string | null;
  readonly channels: readonly string[] | null;
  /** `promptId/lang@version` of the consent question the caller heard. */
  readonly textVersion: string | null;
}

/** One ledger event that bears on the registry, with its caller already resolved. */
export interface MarketingSourceEvent {
  readonly seq: number;
  readonly at: string;
  readonly callId: string | null;
  readonly kind: string;
  readonly data: { readonly [k: string]: unknown };
  /** The caller's look-up key: by the call's subject, or by `data.subject` for a withdrawal. Null once erased. */
  readonly lookupKey: string | null;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function textVersionOf(data: MarketingSourceEvent['data']): string {
  return `${String(data.promptId)}/${String(data.lang)}@${String(data.version)}`;
}

/**
 * Folds events (in seq order) into the registry, by the rules the triggers apply; each entry
 * rests on one event, the caller's latest: a marketing `yes` gives consent, a `no` (refused when
 * asked) and a `consent.withdrawn` of marketing withdraw it. An unanswered question changes nothing.
 */
export function deriveMarketingRegistry(events: Iterable<MarketingSourceEvent>): Map<string, MarketingEntry> {
  const registry = new Map<string, MarketingEntry>();
  const lastQuestion = new Map<string, string>();
  for (const e of events) {
    if (e.kind === 'prompt.played') {
      if (e.callId !== null && e.data.step === 'marketing') lastQuestion.set(e.callId, textVersionOf(e.data));
      continue;
    }
    if (e.lookupKey === null) continue;
    const change = { lookupKey: e.lookupKey, since: e.at, seq: e.seq, callId: e.callId };
    if (e.kind === 'consent.marketing' && (e.data.decision === 'yes' || e.data.decision === 'no')) {
      const channels = Array.isArray(e.data.channels) ? e.data.channels.filter((c): c is string => typeof c === 'string') : null;
      registry.set(e.lookupKey, {
        ...change,
        state: e.data.decision === 'yes' ? 'given' : 'withdrawn',
        how: 'call',
        controller: str(e.data.controller),
        channels,
        textVersion: (e.callId !== null ? lastQuestion.get(e.callId) : undefined) ?? null,
      });
    } else if (e.kind === 'consent.withdrawn' && e.data.consent === 'marketing') {
      registry.set(e.lookupKey, { ...change, state: 'withdrawn', how: str(e.data.channel) ?? 'unknown', controller: null, channels: null, textVersion: null });
    }
  }
  return registry;
}

export interface RegistryDifference {
  /** The first 12 hex digits of the look-up key: enough to find the row, not the whole key. */
  readonly key: string;
  readonly problem: 'missing' | 'unexpected' | 'differs';
  /** For `differs`: the fields that do not match. */
  readonly fields?: readonly string[];
}

const FIELDS = ['state', 'since', 'seq', 'callId', 'how', 'controller', 'channels', 'textVersion'] as const;

/** Where `stored` (the registry table) departs from `derived` (what the ledger says). */
export function compareRegistries(stored: ReadonlyMap<string, MarketingEntry>, derived: ReadonlyMap<string, MarketingEntry>): RegistryDifference[] {
  const out: RegistryDifference[] = [];
  for (const [key, want] of derived) {
    const got = stored.get(key);
    if (!got) {
      out.push({ key: key.slice(0, 12), problem: 'missing' });
      continue;
    }
    const fields = FIELDS.filter((f) => JSON.stringify(got[f]) !== JSON.stringify(want[f]));
    if (fields.length) out.push({ key: key.slice(0, 12), problem: 'differs', fields });
  }
  for (const key of stored.keys()) if (!derived.has(key)) out.push({ key: key.slice(0, 12), problem: 'unexpected' });
  return out;
}
