import { ChainVerifier, GENESIS_ANCHOR } from './chain.js';
import type { Checkpoint } from './checkpoint.js';
import { checkpointsInOrder, hasKeys, openCheckpoint, type CheckpointPages, type CheckpointProblem, type TrustedKeys } from './checkpoint-check.js';
import { EMPTY_ROOT, MerkleFrontier, eventLeafHash } from './merkle.js';
import type { EventRange } from './store.js';
import type { StoredEvent, VerifyResult } from './types.js';
import { verifyStoreRange } from './verify.js';

/** `root_mismatch`: checkpointed events were rewritten; `truncated`: events a checkpoint counted are gone. */
export type CheckpointFailureReason = 'root_mismatch' | 'truncated' | CheckpointProblem;

export interface CheckpointFailure {
  readonly reason: CheckpointFailureReason;
  readonly checkpointId: number;
  readonly treeSize: number;
  /**
   * The events the failure puts in doubt: for a rewrite, the first rewritten event lies in
   * firstBadSeq..lastBadSeq (from just past the last checkpoint that still matches up to the
   * one that does not; signed roots cannot narrow it further); for a truncation, the missing
   * events. Null when the checkpoint itself is bad (signature, format).
   */
  readonly firstBadSeq: number | null;
  readonly lastBadSeq: number | null;
}

export interface CheckpointSummary {
  readonly id: number;
  readonly treeSize: number;
  readonly rootHash: string;
  readonly keyId: string;
  readonly createdAt: string;
}

export interface CheckpointReport {
  /** Stored checkpoints compared with the events (those past a broken link are not reached). */
  readonly checked: number;
  readonly failed: number;
  readonly notReached: number;
  /** False when no key was known: roots were compared, signatures not. */
  readonly signaturesChecked: boolean;
  /** The largest tree size whose signed root the events reproduce (0: none). */
  readonly matchedUpTo: number;
  /** The stored checkpoint of the largest tree size, to compare with a copy kept elsewhere. */
  readonly latest: CheckpointSummary | null;
  /** Events past `matchedUpTo`: only the hash chain protects them. */
  readonly eventsAfterLatest: number;
  /** The first rewrite or truncation if any, else the first bad checkpoint. */
  readonly failure: CheckpointFailure | null;
}

export interface LedgerAudit {
  readonly ok: boolean;
  readonly chain: VerifyResult;
  /** Null when the range starts after seq 1: the Merkle roots need every event from seq 1. */
  readonly checkpoints: CheckpointReport | null;
}

export interface LedgerAuditSource {
  events(range: EventRange): AsyncIterable<StoredEvent>;
  readonly checkpoints: CheckpointPages;
  readonly keys: TrustedKeys;
}

export interface AuditProgress {
  readonly done: number;
  /** The events to verify, when the caller gave it. */
  readonly total: number | null;
  readonly lastSeq: number;
}

export interface LedgerAuditOptions {
  readonly range?: EventRange;
  readonly total?: number;
  readonly onProgress?: (p: AuditProgress) => void;
  /** Call onProgress every this many events (default 10,000). */
  readonly progressEvery?: number;
}

const summary = (cp: Checkpoint): CheckpointSummary => ({ id: cp.id, treeSize: cp.treeSize, rootHash: cp.rootHash, keyId: cp.keyId, createdAt: cp.createdAt });

/** Tallies checkpoints as the pass reaches them; keeps O(1) state whatever their number. */
class CheckpointTally {
  checked = 0;
  failed = 0;
  notReached = 0;
  matchedUpTo = 0;
  latest: Checkpoint | null = null;
  #ledgerFailure: CheckpointFailure | null = null;
  #checkpointFailure: CheckpointFailure | null = null;

  constructor(readonly keys: TrustedKeys) {}

  /** Compares a checkpoint with the root of the events up to its tree size. */
  compare(cp: Checkpoint, root: Buffer): void {
    this.checked += 1;
    const opened = openCheckpoint(cp, this.keys);
    if (!opened.ok) return this.#fail(cp, opened.problem, null, null);
    if (!opened.body.rootHash.equals(root)) return this.#fail(cp, 'root_mismatch', this.matchedUpTo + 1, cp.treeSize);
    this.matchedUpTo = cp.treeSize;
  }

  /** A checkpoint larger than the ledger: events it counted were removed, if it is genuine. */
  beyondHead(cp: Checkpoint, head: number): void {
    this.checked += 1;
    const opened = openCheckpoint(cp, this.keys);
    if (!opened.ok) return this.#fail(cp, opened.problem, null, null);
    this.#fail(cp, 'truncated', head + 1, cp.treeSize);
  }

  seen(cp: Checkpoint): void {
    if (!this.latest || cp.treeSize >= this.latest.treeSize) this.latest = cp;
  }

  #fail(cp: Checkpoint, reason: CheckpointFailureReason, firstBadSeq: number | null, lastBadSeq: number | null): void {
    this.failed += 1;
    const failure = { reason, checkpointId: cp.id, treeSize: cp.treeSize, firstBadSeq, lastBadSeq };
    if (reason === 'root_mismatch' || reason === 'truncated') {
      // Past the first truncated checkpoint, later ones only widen the missing range.
      if (!this.#ledgerFailure) this.#ledgerFailure = failure;
      else if (this.#ledgerFailure.reason === 'truncated' && reason === 'truncated') this.#ledgerFailure = { ...this.#ledgerFailure, lastBadSeq };
    } else if (!this.#checkpointFailure) this.#checkpointFailure = failure;
  }

  report(head: number): CheckpointReport {
    return {
      checked: this.checked,
      failed: this.failed,
      notReached: this.notReached,
      signaturesChecked: hasKeys(this.keys),
      matchedUpTo: this.matchedUpTo,
      latest: this.latest ? summary(this.latest) : null,
      eventsAfterLatest: Math.max(0, head - this.matchedUpTo),
      failure: this.#ledgerFailure ?? this.#checkpointFailure,
    };
  }
}

/**
 * Verifies the hash chain and checks it against every stored signed checkpoint in one pass:
 * each event's leaf hash goes into a Merkle frontier, and a checkpoint's root is compared when
 * the pass reaches its tree size. O(events + checkpoints) time, O(log events) memory.
 * A checkpoint larger than the ledger means events were removed from the end.
 */
export async function auditLedger(src: LedgerAuditSource, opts: LedgerAuditOptions = {}): Promise<LedgerAudit> {
  const range = opts.range ?? {};
  const total = opts.total ?? null;
  const every = opts.progressEvery ?? 10_000;
  if ((range.fromSeq ?? 1) > 1) {
    const chain = await verifyStoreRange({ events: (r) => src.events(r ?? {}) }, range, {
      progressEvery: every,
      ...(opts.onProgress ? { onProgress: (p) => opts.onProgress!({ done: p.checked, total, lastSeq: p.lastSeq }) } : {}),
    });
    return { ok: chain.ok, chain, checkpoints: null };
  }
  const chain = new ChainVerifier(GENESIS_ANCHOR);
  const frontier = new MerkleFrontier();
  const tally = new CheckpointTally(src.keys);
  const toSeq = range.toSeq ?? Number.MAX_SAFE_INTEGER;
  const stored = checkpointsInOrder(src.checkpoints)[Symbol.asyncIterator]();
  const nextInRange = async (): Promise<Checkpoint | null> => {
    const r = await stored.next();
    if (r.done || r.value.treeSize > toSeq) return null;
    tally.seen(r.value);
    return r.value;
  };
  let next = await nextInRange();
  while (next && next.treeSize === 0) {
    tally.compare(next, EMPTY_ROOT);
    next = await nextInRange();
  }
  // Without a lower bound, rows below seq 1 (which only tampering creates) are read too.
  for await (const event of src.events(range.toSeq === undefined ? {} : { toSeq: range.toSeq })) {
    if (chain.check(event)) break;
    // Past the last checkpoint only the chain is checked: no leaf hashes needed.
    if (next) frontier.push(eventLeafHash(event.hash));
    while (next && next.treeSize === frontier.size) {
      tally.compare(next, frontier.root());
      next = await nextInRange();
    }
    if (opts.onProgress && chain.checked % every === 0) opts.onProgress({ done: chain.checked, total, lastSeq: chain.lastSeq });
  }
  const result = chain.result();
  // The events verified, all contiguous from seq 1.
  const head = chain.checked;
  for (; next; next = await nextInRange()) {
    if (result.ok) tally.beyondHead(next, head);
    else tally.notReached += 1;
  }
  const checkpoints = tally.report(head);
  return { ok: result.ok && checkpoints.failed === 0, chain: result, checkpoints };
}
