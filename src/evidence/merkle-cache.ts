import type { LedgerTree } from './checkpoint.js';
import { eventLeafHash, hashChildren, splitPoint, subtreeOfLeaves, type SubtreeSource } from './merkle.js';

/** Subtrees of 2^CACHE_LEVEL leaves and up are cached; anything smaller is read from events. */
export const CACHE_LEVEL = 8;
const BLOCK = 2 ** CACHE_LEVEL;
/** Blocks hashed per transaction while extending the cache. */
const BLOCKS_PER_TX = 256;

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

/** What the cached tree needs of a database: the events' chain hashes and the `merkle_nodes` table. */
export interface MerkleNodeStore {
  /** The head's seq, 0 for an empty ledger. */
  headSeq(): Promise<number>;
  /** Events with start < seq <= end, in seq order. */
  leafRows(start: number, end: number): Promise<readonly { seq: number; hash: string }[]>;
  node(level: number, idx: number): Promise<Buffer | null>;
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

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The ledger's Merkle tree over any engine. Complete aligned subtrees of 256 leaves and more
 * are kept in `merkle_nodes`, so a root or an audit path costs a few indexed reads and at
 * most a few hundred leaf hashes, even over tens of millions of events.
 */
export class CachedLedgerTree implements LedgerTree {
  readonly #store: MerkleNodeStore;

  constructor(store: MerkleNodeStore) {
    this.#store = store;
  }

  size(): Promise<number> {
    return this.#store.headSeq();
  }

  async extend(size: number): Promise<void> {
    const blocks = Math.floor(size / BLOCK);
    let next = (await this.#store.lastBlock()) + 1;
    while (next < blocks) {
      const end = Math.min(blocks, next + BLOCKS_PER_TX);
      const from = next;
      const leaves = await this.#readLeaves(from * BLOCK, end * BLOCK);
      const fresh: MerkleNode[] = [];
      for (let b = from; b < end; b++) {
        fresh.push({ level: CACHE_LEVEL, idx: b, hash: subtreeOfLeaves(leaves, (b - from) * BLOCK, (b - from + 1) * BLOCK) });
      }
      await this.#store.saveNodes([...fresh, ...(await this.#parents(from, end, fresh))]);
      next = end;
      // Hashing millions of leaves must not stall the API and the call flow.
      await yieldToLoop();
    }
  }

  source(): SubtreeSource {
    // Audit paths ask for neighbouring small subtrees of one block: read its leaves once.
    // Every range the RFC 9162 recursion asks for lies inside one aligned block.
    let memo: { start: number; leaves: Buffer[] } | null = null;
    // The head only bounds how far a block is read ahead: reading it once per source is enough.
    let head: number | null = null;
    const leaves = async (start: number, end: number): Promise<Buffer> => {
      const blockStart = start - (start % BLOCK);
      if (!memo || memo.start !== blockStart || memo.leaves.length < end - blockStart) {
        if (head === null) head = await this.#store.headSeq();
        const upTo = Math.max(end, Math.min(blockStart + BLOCK, head));
        const read = await this.#contiguousLeaves(blockStart, upTo);
        if (read.length < end - blockStart) throw new LedgerGapError(start, end);
        memo = { start: blockStart, leaves: read };
      }
      return subtreeOfLeaves(memo.leaves, start - blockStart, end - blockStart);
    };
    // Proofs in one tree share its right edge (the subtrees that are not complete) and the
    // upper siblings of nearby leaves: keep both, so a call's proofs read each node once.
    const edge = new Map<string, Buffer>();
    const nodes = new Map<string, Buffer | null>();
    const node = async (level: number, idx: number): Promise<Buffer | null> => {
      const key = `${level}:${idx}`;
      const known = nodes.get(key);
      if (known !== undefined) return known;
      const hash = await this.#store.node(level, idx);
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
      const h = hashChildren(await sub(start, start + k), await sub(start + k, end));
      if (edge.size < 4_096) edge.set(key, h);
      return h;
    };
    return { subtree: sub };
  }

  /** Leaf hashes [start, end); throws unless every seq is there. */
  async #readLeaves(start: number, end: number): Promise<Buffer[]> {
    const out = await this.#contiguousLeaves(start, end);
    if (out.length !== end - start) throw new LedgerGapError(start, end);
    return out;
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
      const hash = known.get(`${level}:${idx}`) ?? (await this.#store.node(level, idx));
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
