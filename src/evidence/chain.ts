import { hash } from 'node:crypto';
import { jcs, jcsString } from './jcs.js';
import type { EventKind, JsonValue, StoredEvent, VerifyResult } from './types.js';

/** prev_hash of the first event. */
export const GENESIS_HASH = '0'.repeat(64);

/** The chained part of an event. */
export interface ChainBody {
  readonly seq: number;
  readonly callId: string | null;
  readonly at: string;
  readonly kind: EventKind;
  readonly data: { readonly [k: string]: JsonValue };
}

/** RFC 8785 (JCS) encoding; throws on values JSON cannot carry (NaN, lone surrogates, undefined). */
export function canonicalJson(value: unknown): string {
  const out = jcs(value);
  if (out === undefined) throw new TypeError('value has no JSON representation');
  return out;
}

/** canonical(body) for an event. */
export function canonicalBody(body: ChainBody): string {
  return canonicalJson({ seq: body.seq, callId: body.callId, at: body.at, kind: body.kind, data: body.data });
}

/**
 * canonical(body) from parts, with `data` already canonical: the writer's hot path, which
 * saves encoding `data` twice. Keys are in JCS order (at < callId < data < kind < seq).
 */
export function canonicalBodyFromParts(
  seq: number,
  callId: string | null,
  at: string,
  kind: EventKind,
  canonicalData: string,
): string {
  return `{"at":${jcsString(at)},"callId":${callId === null ? 'null' : jcsString(callId)},"data":${canonicalData},"kind":${JSON.stringify(kind)},"seq":${Number.isSafeInteger(seq) ? String(seq) : canonicalJson(seq)}}`;
}

/** hex SHA-256(prev_hash ‖ canonical(body)), both as UTF-8 text (prev_hash as 64 hex chars). */
export function linkHash(prevHash: string, canonicalBodyText: string): string {
  // One-shot: no Hash object per event. The same bytes, as prev_hash is ASCII.
  return hash('sha256', prevHash + canonicalBodyText, 'hex');
}

export function hashEvent(prevHash: string, body: ChainBody): string {
  return linkHash(prevHash, canonicalBody(body));
}

/** Where a verification starts: the event before the first one checked. */
export interface ChainAnchor {
  readonly seq: number;
  readonly hash: string;
}

export const GENESIS_ANCHOR: ChainAnchor = { seq: 0, hash: GENESIS_HASH };

export type VerifyFailure = Extract<VerifyResult, { ok: false }>;

/** Checks events one at a time, in the order given; keeps only the last link in memory. */
export class ChainVerifier {
  #nextSeq: number;
  #prevHash: string;
  #checked = 0;
  #failure: VerifyFailure | null = null;

  constructor(anchor: ChainAnchor = GENESIS_ANCHOR) {
    this.#nextSeq = anchor.seq + 1;
    this.#prevHash = anchor.hash;
  }

  /** Returns the failure for `event`, or null if it links on; stays failed after one. */
  check(event: StoredEvent): VerifyFailure | null {
    if (this.#failure) return this.#failure;
    const reason =
      event.seq < this.#nextSeq
        ? 'seq_order'
        : event.seq > this.#nextSeq
          ? 'seq_gap'
          : event.prevHash !== this.#prevHash
            ? 'prev_hash_mismatch'
            : safeHash(event) !== event.hash
              ? 'hash_mismatch'
              : null;
    if (reason) {
      this.#failure = { ok: false, checked: this.#checked, brokenAt: event.seq, reason };
      return this.#failure;
    }
    this.#checked += 1;
    this.#nextSeq = event.seq + 1;
    this.#prevHash = event.hash;
    return null;
  }

  get checked(): number {
    return this.#checked;
  }

  /** The seq of the last event that verified (the anchor's before any). */
  get lastSeq(): number {
    return this.#nextSeq - 1;
  }

  result(): VerifyResult {
    return this.#failure ?? { ok: true, checked: this.#checked, headHash: this.#prevHash };
  }
}

function safeHash(event: StoredEvent): string | null {
  try {
    return hashEvent(event.prevHash, event);
  } catch {
    // Data that cannot be encoded cannot have been hashed by the writer.
    return null;
  }
}

export interface VerifyProgress {
  readonly checked: number;
  readonly lastSeq: number;
}

export interface VerifyChainOptions {
  readonly anchor?: ChainAnchor;
  readonly onProgress?: (p: VerifyProgress) => void;
  /** Call onProgress every this many events (default 10,000). */
  readonly progressEvery?: number;
}

/**
 * Verifies a stream of events in order and stops at the first broken link. Memory stays
 * flat: only the previous link is kept, so millions of events stream through.
 */
export async function verifyChain(
  events: AsyncIterable<StoredEvent> | Iterable<StoredEvent>,
  opts: VerifyChainOptions = {},
): Promise<VerifyResult> {
  const verifier = new ChainVerifier(opts.anchor);
  const every = opts.progressEvery ?? 10_000;
  for await (const event of events) {
    if (verifier.check(event)) break;
    if (opts.onProgress && verifier.checked % every === 0) {
      opts.onProgress({ checked: verifier.checked, lastSeq: verifier.lastSeq });
    }
  }
  return verifier.result();
}
