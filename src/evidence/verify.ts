import { GENESIS_ANCHOR, verifyChain, type ChainAnchor, type VerifyChainOptions } from './chain.js';
import type { EventRange, EvidenceStore } from './store.js';
import type { VerifyResult } from './types.js';

export type VerifyRangeOptions = Omit<VerifyChainOptions, 'anchor'>;

/**
 * Verifies `range` of a store's chain. A range that starts after seq 1 is anchored on the
 * stored hash of the event just before it, so `--from N` checks the link into N as well.
 * Shared by every store implementation and the CLI.
 */
export async function verifyStoreRange(
  store: Pick<EvidenceStore, 'events'>,
  range: EventRange = {},
  opts: VerifyRangeOptions = {},
): Promise<VerifyResult> {
  const from = Math.max(1, range.fromSeq ?? 1);
  let anchor: ChainAnchor | null = GENESIS_ANCHOR;
  if (from > 1) {
    anchor = null;
    for await (const e of store.events({ fromSeq: from - 1, toSeq: from - 1 })) anchor = e;
  }
  // Without a lower bound, rows below seq 1 (which only tampering creates) are read too.
  const events = store.events({
    ...(range.fromSeq === undefined ? {} : { fromSeq: from }),
    ...(range.toSeq === undefined ? {} : { toSeq: range.toSeq }),
  });
  if (!anchor) {
    // The event before the range is missing: the first event in it cannot link.
    for await (const first of events) return { ok: false, checked: 0, brokenAt: first.seq, reason: 'seq_gap' };
    return { ok: true, checked: 0, headHash: GENESIS_ANCHOR.hash };
  }
  return verifyChain(events, { ...opts, anchor });
}
