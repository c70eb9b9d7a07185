import type { Clock } from '../shared/clock.js';
import { isoAt } from '../shared/clock.js';
import { canonicalJson } from './chain.js';
import { EvidenceError } from './errors.js';
import type { GroupCommitter } from './group-commit.js';
import type { AppendEffects } from './store.js';
import { EVENT_KINDS, type EventKind, type JsonValue, type NewEvent, type StoredEvent } from './types.js';

/** An append checked and encoded before it joins a batch, so one bad event cannot fail the batch. */
export interface PreparedAppend {
  readonly callId: string | null;
  readonly at: string;
  readonly kind: EventKind;
  /** canonical(data): both what is hashed and what is stored. */
  readonly dataJson: string;
  readonly data: { readonly [k: string]: JsonValue };
  readonly effects: AppendEffects;
}

const KINDS: ReadonlySet<string> = new Set(EVENT_KINDS);
const ISO_MS_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const HEX64 = /^[0-9a-f]{64}$/;
const OUTCOMES = new Set(['continued', 'objected', 'abandoned', 'failed', null]);
const YES_NO = new Set(['yes', 'no', null]);
const MARKETING = new Set(['yes', 'no', 'none', null]);

function invalid(message: string): EvidenceError {
  return new EvidenceError('EVIDENCE_INVALID_EVENT', message);
}

function isIsoMs(at: unknown): at is string {
  return typeof at === 'string' && ISO_MS_UTC.test(at) && !Number.isNaN(Date.parse(at));
}

/** Throws {@link EvidenceError} `EVIDENCE_INVALID_EVENT` for anything the chain must not hold. */
export function prepareAppend(event: NewEvent, effects: AppendEffects, clock: Clock): PreparedAppend {
  if (!KINDS.has(event.kind)) throw invalid(`unknown event kind ${JSON.stringify(event.kind)}`);
  if (event.callId !== null && (typeof event.callId !== 'string' || event.callId === '')) {
    throw invalid('callId must be a non-empty string or null');
  }
  const at = event.at ?? isoAt(clock);
  if (!isIsoMs(at)) throw invalid(`at ${JSON.stringify(at)} is not ISO-8601 UTC with milliseconds`);
  if (typeof event.data !== 'object' || event.data === null || Array.isArray(event.data)) {
    throw invalid('data must be a JSON object');
  }
  let dataJson: string;
  try {
    dataJson = canonicalJson(event.data);
  } catch (err) {
    throw invalid(`data cannot be encoded as canonical JSON: ${(err as Error).message}`);
  }
  checkEffects(event, effects);
  return {
    callId: event.callId,
    at,
    kind: event.kind,
    dataJson,
    data: JSON.parse(dataJson) as PreparedAppend['data'],
    effects,
  };
}

function checkEffects(event: NewEvent, effects: AppendEffects): void {
  const { subject, callOpen, callPatch } = effects;
  // A subject may stand without a call (a withdrawal received by letter names its caller so).
  if ((callOpen || callPatch) && event.callId === null) {
    throw invalid('call effects need an event with a callId');
  }
  if (subject) {
    if (!HEX64.test(subject.commitment) || !HEX64.test(subject.lookupKey) || !/^[0-9a-f]{32,}$/.test(subject.salt)) {
      throw invalid('subject commitment, lookupKey and salt must be lower-case hex');
    }
  }
  if (callOpen) {
    if (callOpen.callId !== event.callId) throw invalid('callOpen.callId differs from the event callId');
    if (!isIsoMs(callOpen.startedAt)) throw invalid('callOpen.startedAt is not ISO-8601 UTC with milliseconds');
    for (const key of ['flowId', 'did', 'legalBasis'] as const) {
      if (typeof callOpen[key] !== 'string') throw invalid(`callOpen.${key} must be a string`);
    }
  }
  if (callPatch) {
    if ('outcome' in callPatch && !OUTCOMES.has(callPatch.outcome ?? null)) throw invalid('callPatch.outcome is not an outcome');
    if ('recording' in callPatch && !YES_NO.has(callPatch.recording ?? null)) throw invalid('callPatch.recording must be yes or no');
    if ('marketing' in callPatch && !MARKETING.has(callPatch.marketing ?? null)) {
      throw invalid('callPatch.marketing must be yes, no or none');
    }
    if (callPatch.endedAt != null && !isIsoMs(callPatch.endedAt)) throw invalid('callPatch.endedAt is not ISO-8601 UTC with milliseconds');
  }
}

/**
 * The append path every store shares: refuse when closed, check and encode the event on its
 * own (a bad one fails alone), then queue it for the next group commit.
 */
export function enqueueAppend(
  committer: GroupCommitter<PreparedAppend, StoredEvent>,
  closed: boolean,
  event: NewEvent,
  effects: AppendEffects,
  clock: Clock,
): Promise<StoredEvent> {
  if (closed) return Promise.reject(new EvidenceError('EVIDENCE_STORE_CLOSED', 'the evidence store is closed'));
  let prepared: PreparedAppend;
  try {
    prepared = prepareAppend(event, effects, clock);
  } catch (err) {
    return Promise.reject(err);
  }
  return committer.submit(prepared);
}
