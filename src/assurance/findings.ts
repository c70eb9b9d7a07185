/**
 * Recording assurance's vocabulary: the kinds of finding (a closed set, so each is one metric
 * label value), a finding, and its stable id. Pure.
 */
import { createHash } from 'node:crypto';
import type { JsonValue } from '../evidence/types.js';

export const FINDING_KINDS = [
  /** Asterisk says a call entered the consent flow (Stasis) and the ledger has no call for its channel. */
  'call_without_evidence',
  /** A recording (MixMonitor in Asterisk's records, a pipeline row, a stored object) of a call without a recording consent, or of no known call. */
  'recording_without_consent',
  /** A call with a recording consent, answered by an agent (or recorded by MixMonitor), with no stored recording and no stated reason. */
  'consented_call_not_recorded',
  /** One channel with two ledger calls; one audio file stored twice. */
  'duplicate',
  /** A recording still in the pipeline (not stored, not given up) past the threshold. */
  'recording_stuck',
] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

export const FINDING_STATUSES = ['open', 'acknowledged', 'resolved'] as const;
export type FindingStatus = (typeof FINDING_STATUSES)[number];

/** What a run found: one thing that does not reconcile. */
export interface Finding {
  readonly kind: FindingKind;
  /** What it is about, e.g. `call:<id>`, `channel:<uniqueid>`, `recording:<id>`, `object:<key>`, `sha256:<hex>`. */
  readonly subject: string;
  readonly callId: string | null;
  readonly recordingId: string | null;
  /** When the thing happened (the call's or recording's start, Asterisk's record). */
  readonly occurredAt: string;
  /** Ids, states and which source says what: never a number or a name. */
  readonly detail: { readonly [k: string]: JsonValue };
}

/** A finding as stored, with its history and acknowledgement. */
export interface FindingView extends Finding {
  readonly id: string;
  readonly status: FindingStatus;
  readonly firstRun: string;
  readonly lastRun: string;
  readonly firstSeenAt: string;
  readonly lastSeenAt: string;
  readonly acknowledgedBy: string | null;
  readonly acknowledgedAt: string | null;
  readonly ackReason: string | null;
}

/** The same kind and subject give the same id in every run, on every instance. */
export function findingId(kind: FindingKind, subject: string): string {
  return `af-${createHash('sha256').update(`${kind}\n${subject}`).digest('hex').slice(0, 24)}`;
}

export const FINDING_ID_PATTERN = /^af-[0-9a-f]{24}$/;

export type FindingCounts = Record<FindingKind, number>;

export function zeroCounts(): FindingCounts {
  return Object.fromEntries(FINDING_KINDS.map((k) => [k, 0])) as FindingCounts;
}

export function countByKind(findings: ReadonlyArray<Pick<Finding, 'kind'>>): FindingCounts {
  const counts = zeroCounts();
  for (const f of findings) counts[f.kind]++;
  return counts;
}
