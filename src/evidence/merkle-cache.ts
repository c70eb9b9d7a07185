import { GENESIS_HASH } from './chain.js';
import { scanChain, type ChainRows, type ScanThreads } from './chain-scan-pool.js';
import type { LedgerTree } from './checkpoint.js';
import { eventLeafHash, hashChildren, splitPoint, subtreeOfLeaves, type SubtreeSource } from './merkle.js';
import type { VerifyResult } from './types.js';

/** Subtrees of 2^CACHE_LEVEL leaves and up are cached; anything smaller is read from events. */
export const CACHE_LEVEL = 8;
const BLOCK = 2 ** CACHE_LEVEL;

/** The stored ledger has no event where the tree needs one (deleted rows, a seq gap). */
export class LedgerGapError extends Error {
  override readonly name = 'LedgerGapError';
  readonly code = 'EVIDENCE_LEDGER_GAP';
  constructor(readonly start: number, readonly end: number) {
    super(`the ledger has no contiguous events for seq ${start + 1}..${end}`);
  }
}

/** One cached subtree: MTH of leaves [idx·2^level, (idx+1)·2^level). */
export interface MerkleNode {
  readonly level: number;
  readonly idx: number;
  readonly hash: Buffer;
}

export type NodeKey = readonly [level: number, idx: number];

/** What the cached tree needs of a database: the events' chain hashes and the `merkle_nodes` table. */
export interface MerkleNodeStore {
  /** The head's seq, 0 for an empty ledger. */
  headSeq(): Promise<number>;
  /** Events with start < seq <= end, in seq order. */
  leafRows(start: number, end: number): Promise<readonly { seq: number; hash: string }[]>;
  /** Whole stored rows, for the scan that verifies the chain while it hashes the leaves. */
  readonly eventRows: ChainRows;
  /** Cached nodes by (level, idx), in the order asked, null where none is stored: one read for all. */
  nodes(keys: readonly NodeKey[]): Promise<(Buffer | null)[]>;
  /** The highest cached index at CACHE_LEVEL, -1 when none. */
  lastBlock(): Promise<number>;
  /**
   * Stores nodes in one transaction. A node already there is kept: its hash follows from the
   * events alone, so a concurrent writer can only have stored the same bytes.
   */
  saveNodes(nodes: readonly MerkleNode[]): Promise<void>;
}

function isPowerOfTwo(n: number): boolean {
  let k = 1;
  while (k < n) k *= 2;
  return k === n;
}

/**
 * The ledger's Merkle tree over any engine. Complete aligned subtrees of 256 leaves and more
 * are kept in `merkle_nodes`, so a root or an audit path costs a few indexed reads and at
 * most a few hundred leaf hashes, even over tens of millions of events. The cache grows in one
 * streaming pass over the new events, which also verifies their chain: O(new events) time and
 * O(log n) memory besides one hash per new block. Long passes run on scan threads, if given.
 */
export class CachedLedgerTree implements LedgerTree {
  readonly #store: MerkleNodeStore;
  readonly #threads: ScanThreads | undefined;

  constructor(store: MerkleNodeStore, threads?: ScanThreads) {
    this.#store = store;
    this.#threads = threads;
  }

  size(): Promise<number> {
    return this.#store.headSeq();
  }

  async extend(size: number): Promise<void> {
    await this.extendVerified(size, size + 1);
  }

  async extendVerified(size: number, verifyFrom: number, onProgress?: (checked: number) => void): Promise<VerifyResult> {
    const blockFrom = (await this.#store.lastBlock()) + 1;
    const blockTo = Math.floor(size / BLOCK);
    const from = blockFrom < blockTo ? Math.min(verifyFrom, blockFrom * BLOCK + 1) : verifyFrom;
    if (from > size) {
      const head = size > 0 ? (await this.#store.leafRows(size - 1, size))[0]?.hash : undefined;
      return { ok: true, checked: 0, headHash: head ?? GENESIS_HASH };
    }
    const plan = { from, to: size, verifyFrom, blockFrom, blockTo: Math.max(blockFrom, blockTo), blockSize: BLOCK };
    const scan = await scanChain(plan, this.#store.eventRows, this.#threads, onProgress);
    if (!scan.verify.ok) return scan.verify;
    if (scan.gapAt !== null) throw new LedgerGapError(scan.gapAt - 1, size);
    const fresh: MerkleNode[] = [];
    let idx = blockFrom;
    for (const bytes of scan.blocks) {
      for (let at = 0; at < bytes.length; at += 32) fresh.push({ level: CACHE_LEVEL, idx: idx++, hash: Buffer.from(bytes.subarray(at, at + 32)) });
    }
    if (idx !== plan.blockTo) throw new Error(`ledger scan hashed blocks ${blockFrom}..${idx - 1}, expected up to ${plan.blockTo - 1}`);
    // One call, so one transaction: no parent is ever missing above a stored block.
    if (fresh.length > 0) await this.#store.saveNodes([...fresh, ...(await this.#parents(blockFrom, idx, fresh))]);
    return scan.verify;
  }

  source(): SubtreeSource {
    // Audit paths ask for neighbouring small subtrees of one block: read its leaves once.
    // Every range the RFC 9162 recursion asks for lies inside one aligned block.
    const blocks = new Map<number, { upTo: number; leaves: Promise<Buffer[]> }>();
    const leaves = async (start: number, end: number): Promise<Buffer> => {
      const blockStart = start - (start % BLOCK);
      let memo = blocks.get(blockStart);
      if (!memo || memo.upTo < end) {
        // A whole block (rows past the head are simply not there); more only when asked past it.
        const upTo = Math.max(end, blockStart + BLOCK);
        memo = { upTo, leaves: this.#contiguousLeaves(blockStart, upTo) };
        if (blocks.size < 64) blocks.set(blockStart, memo);
      }
      const read = await memo.leaves;
      if (read.length < end - blockStart) throw new LedgerGapError(start, end);
      return subtreeOfLeaves(read, start - blockStart, end - blockStart);
    };
    // Proofs in one tree share its right edge (the subtrees that are not complete) and the
    // upper siblings of nearby leaves: keep both, so a call's proofs read each node once.
    // The proofs ask for all their subtrees at once: the nodes asked for in one turn of the
    // event loop are read in one query.
    const edge = new Map<string, Promise<Buffer>>();
    const nodes = new Map<string, Promise<Buffer | null>>();
    let batch: { key: NodeKey; resolve: (h: Buffer | null) => void; reject: (e: unknown) => void }[] = [];
    const flush = () => {
      const asked = batch;
      batch = [];
      this.#store.nodes(asked.map((a) => a.key)).then(
        (hashes) => asked.forEach((a, i) => a.resolve(hashes[i] ?? null)),
        (err: unknown) => asked.forEach((a) => a.reject(err)),
      );
    };
    const node = (level: number, idx: number): Promise<Buffer | null> => {
      const key = `${level}:${idx}`;
      const known = nodes.get(key);
      if (known) return known;
      const hash = new Promise<Buffer | null>((resolve, reject) => {
        if (batch.length === 0) queueMicrotask(flush);
        batch.push({ key: [level, idx], resolve, reject });
      });
      if (nodes.size < 4_096) nodes.set(key, hash);
      return hash;
    };
    const sub = async (start: number, end: number): Promise<Buffer> => {
      const n = end - start;
      if (n >= BLOCK && isPowerOfTwo(n) && start % n === 0) {
        const cached = await node(Math.log2(n), start / n);
        if (cached) return cached;
      }
      if (n <= BLOCK) return leaves(start, end);
      const key = `${start}:${end}`;
      const known = edge.get(key);
      if (known) return known;
      const k = splitPoint(n);
      const h = Promise.all([sub(start, start + k), sub(start + k, end)]).then(([l, r]) => hashChildren(l, r));
      if (edge.size < 4_096) edge.set(key, h);
      return h;
    };
    return { subtree: sub };
  }

  /** Leaf hashes from `start`, as far as seqs run on without a gap (at most to `end`). */
  async #contiguousLeaves(start: number, end: number): Promise<Buffer[]> {
    const rows = await this.#store.leafRows(start, end);
    const out: Buffer[] = [];
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      if (row.seq !== start + i + 1 || !/^[0-9a-f]{64}$/.test(row.hash)) break;
      out.push(eventLeafHash(row.hash));
    }
    return out;
  }

  /**
   * The parent nodes above the new blocks [from, to). Each level is a complete prefix, so
   * the new parents at a level are those from the first new child's parent to the last
   * complete pair; a left child older than this run is read from the cache.
   */
  async #parents(from: number, to: number, blocks: readonly MerkleNode[]): Promise<MerkleNode[]> {
    const known = new Map(blocks.map((n) => [`${n.level}:${n.idx}`, n.hash]));
    const child = async (level: number, idx: number): Promise<Buffer> => {
      const hash = known.get(`${level}:${idx}`) ?? (await this.#store.nodes([[level, idx]]))[0];
      if (!hash) throw new Error(`merkle cache hole at level ${level} node ${idx}`);
      return hash;
    };
    const out: MerkleNode[] = [];
    let lo = from;
    let hi = to;
    for (let level = CACHE_LEVEL + 1; ; level++) {
      const plo = Math.floor(lo / 2);
      const phi = Math.floor(hi / 2);
      if (plo >= phi) return out;
      for (let p = plo; p < phi; p++) {
        const node = { level, idx: p, hash: hashChildren(await child(level - 1, 2 * p), await child(level - 1, 2 * p + 1)) };
        known.set(`${level}:${p}`, node.hash);
        out.push(node);
      }
      lo = plo;
      hi = phi;
    }
  }
}
