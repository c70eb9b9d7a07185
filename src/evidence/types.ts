/**
 * The evidence model. Every event is chained: hash = SHA-256(prev_hash ‖ canonical(body)),
 * where body = {seq, callId, at, kind, data}. Personal data never enters `data`: it goes
 * into a subject record referenced from `data` by a salted commitment, so erasing the
 * record later leaves every hash verifiable.
 */

export const EVENT_KINDS = [
  'call.started',
  'language.chosen',
  'prompt.played',
  'dtmf.received',
  'menu.invalid',
  'menu.timeout',
  'clause.listened',
  'objection.made',
  'consent.recording',
  'consent.marketing',
  'consent.withdrawn',
  'outbound.checked',
  'call.continued',
  'call.abandoned',
  'call.failed',
  'call.ended',
  'recording.started',
  'recording.start_failed',
  'recording.stopped',
  'recording.paused',
  'recording.resumed',
  'recording.quarantined',
  'recording.stored',
  'recording.upload_failed',
  'recording.deleted',
  'access.logged',
  'retention.deleted',
  'hold.set',
  'hold.released',
  'erasure.done',
  'assurance.run',
  'assurance.acknowledged',
  'party.joined',
  'agent.registered',
  'agent.removed',
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };

/** What callers of the ledger hand in. `at` defaults to the store's clock. */
export interface NewEvent {
  readonly callId: string | null;
  readonly kind: EventKind;
  readonly data: { readonly [k: string]: JsonValue };
  readonly at?: string;
}

export interface StoredEvent {
  readonly seq: number;
  readonly callId: string | null;
  /** ISO-8601 UTC with milliseconds. */
  readonly at: string;
  readonly kind: EventKind;
  readonly data: { readonly [k: string]: JsonValue };
  readonly prevHash: string;
  readonly hash: string;
}

/** The personal data behind a call's commitment; erasable without touching the chain. */
export interface SubjectRecord {
  /** hex SHA-256(salt ‖ e164): this string is what the chained `call.started` event carries. */
  readonly commitment: string;
  /** HMAC-SHA-256(pepper, e164), hex: the look-up key. */
  readonly lookupKey: string;
  readonly masked: string;
  readonly e164: string;
  readonly salt: string;
}

export type Outcome = 'continued' | 'objected' | 'abandoned' | 'failed';

/** One row per call, kept beside the chain for queries (a projection, not evidence). */
export interface CallSummary {
  readonly callId: string;
  readonly startedAt: string;
  readonly flowId: string;
  readonly did: string;
  readonly callerLookup: string | null;
  readonly callerMasked: string | null;
  readonly language: string | null;
  readonly legalBasis: string;
  readonly outcome: Outcome | null;
  readonly recording: 'yes' | 'no' | null;
  readonly marketing: 'yes' | 'no' | 'none' | null;
  readonly endedAt: string | null;
  readonly server: string | null;
}

export type VerifyResult =
  | { readonly ok: true; readonly checked: number; readonly headHash: string }
  | {
      readonly ok: false;
      readonly checked: number;
      /** seq of the first event whose link or hash does not hold. */
      readonly brokenAt: number;
      readonly reason: 'hash_mismatch' | 'prev_hash_mismatch' | 'seq_gap' | 'seq_order';
    };
