import type { SqliteDatabase } from '../db/sqlite.js';
import type { Checkpoint, CheckpointRepo, LedgerTree } from './checkpoint.js';
import { eventLeafHash, hashChildren, splitPoint, subtreeOfLeaves, type SubtreeSource } from './merkle.js';

/** Subtrees of 2^CACHE_LEVEL leaves and up are cached; anything smaller is read from events. */
const CACHE_LEVEL = 8;
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

function isPowerOfTwo(n: number): boolean {
  let k = 1;
  while (k < n) k *= 2;
  return k === n;
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The ledger's Merkle tree on SQLite. Complete aligned subtrees of 256 leaves and more are
 * kept in `merkle_nodes`, so a root or an audit path costs a few indexed reads and at most a
 * few hundred leaf hashes, even over tens of millions of events.
 */
export class SqliteLedgerTree implements LedgerTree {
  readonly #db: SqliteDatabase;
  readonly #st;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    this.#st = {
      head: db.prepare<[], { seq: number | null }>('SELECT max(seq) AS seq FROM events'),
      leaves: db.prepare<[number, number], { seq: number; hash: string }>('SELECT seq, hash FROM events WHERE seq > ? AND seq <= ? ORDER BY seq'),
      node: db.prepare<[number, number], { hash: Buffer }>('SELECT hash FROM merkle_nodes WHERE level = ? AND idx = ?'),
      lastBlock: db.prepare<[number], { idx: number | null }>('SELECT max(idx) AS idx FROM merkle_nodes WHERE level = ?'),
      insert: db.prepare('INSERT OR IGNORE INTO merkle_nodes (level, idx, hash) VALUES (?, ?, ?)'),
    };
  }

  async size(): Promise<number> {
    return this.#st.head.get()?.seq ?? 0;
  }

  async extend(size: number): Promise<void> {
    const blocks = Math.floor(size / BLOCK);
    let next = (this.#st.lastBlock.get(CACHE_LEVEL)?.idx ?? -1) + 1;
    while (next < blocks) {
      const end = Math.min(blocks, next + BLOCKS_PER_TX);
      const from = next;
      const leaves = this.#readLeaves(from * BLOCK, end * BLOCK);
      const roots: Buffer[] = [];
      for (let b = from; b < end; b++) roots.push(subtreeOfLeaves(leaves, (b - from) * BLOCK, (b - from + 1) * BLOCK));
      // IMMEDIATE: the evidence writer may hold its own connection to this file.
      this.#db
        .transaction(() => {
          for (let b = from; b < end; b++) this.#st.insert.run(CACHE_LEVEL, b, roots[b - from]!);
          this.#parents(from, end);
        })
        .immediate();
      next = end;
      // Hashing millions of leaves must not stall the API and the call flow.
      await yieldToLoop();
    }
  }

  source(): SubtreeSource {
    // Audit paths ask for neighbouring small subtrees of one block: read its leaves once.
    // Every range the RFC 9162 recursion asks for lies inside one aligned block.
    let memo: { start: number; leaves: Buffer[] } | null = null;
    const leaves = (start: number, end: number): Buffer => {
      const blockStart = start - (start % BLOCK);
      if (!memo || memo.start !== blockStart || memo.leaves.length < end - blockStart) {
        const upTo = Math.max(end, Math.min(blockStart + BLOCK, this.#st.head.get()?.seq ?? 0));
        const read = this.#contiguousLeaves(blockStart, upTo);
        if (read.length < end - blockStart) throw new LedgerGapError(start, end);
        memo = { start: blockStart, leaves: read };
      }
      return subtreeOfLeaves(memo.leaves, start - blockStart, end - blockStart);
    };
    // Proofs in one tree share its right edge (the subtrees that are not complete): keep them.
    const edge = new Map<string, Buffer>();
    const sub = (start: number, end: number): Buffer => {
      const n = end - start;
      if (n >= BLOCK && isPowerOfTwo(n) && start % n === 0) {
        const row = this.#st.node.get(Math.log2(n), start / n);
        if (row) return row.hash;
      }
      if (n <= BLOCK) return leaves(start, end);
      const key = `${start}:${end}`;
      const known = edge.get(key);
      if (known) return known;
      const k = splitPoint(n);
      const h = hashChildren(sub(start, start + k), sub(start + k, end));
      if (edge.size < 4_096) edge.set(key, h);
      return h;
    };
    return { subtree: async (start, end) => sub(start, end) };
  }

  /** Leaf hashes [start, end); throws unless every seq is there. */
  #readLeaves(start: number, end: number): Buffer[] {
    const out = this.#contiguousLeaves(start, end);
    if (out.length !== end - start) throw new LedgerGapError(start, end);
    return out;
  }

  /** Leaf hashes from `start`, as far as seqs run on without a gap (at most to `end`). */
  #contiguousLeaves(start: number, end: number): Buffer[] {
    const rows = this.#st.leaves.all(start, end);
    const out: Buffer[] = [];
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      if (row.seq !== start + i + 1 || !/^[0-9a-f]{64}$/.test(row.hash)) break;
      out.push(eventLeafHash(row.hash));
    }
    return out;
  }

  /**
   * Fills the parent levels above the new blocks [from, to). Each level is a complete
   * prefix, so the new parents at a level are those from the first new child's parent to
   * the last complete pair.
   */
  #parents(from: number, to: number): void {
    let lo = from;
    let hi = to;
    for (let level = CACHE_LEVEL + 1; ; level++) {
      const plo = Math.floor(lo / 2);
      const phi = Math.floor(hi / 2);
      if (plo >= phi) return;
      for (let p = plo; p < phi; p++) {
        const left = this.#st.node.get(level - 1, 2 * p);
        const right = this.#st.node.get(level - 1, 2 * p + 1);
        if (!left || !right) throw new Error(`merkle cache hole below level ${level} node ${p}`);
        this.#st.insert.run(level, p, hashChildren(left.hash, right.hash));
      }
      lo = plo;
      hi = phi;
    }
  }
}
interface CheckpointRow {
  id: number;
  tree_size: number;
  root_hash: string;
  origin: string;
  key_id: string;
  note: string;
  created_at: string;
}

const toCheckpoint = (r: CheckpointRow): Checkpoint => ({
  id: r.id,
  treeSize: r.tree_size,
  rootHash: r.root_hash,
  origin: r.origin,
  keyId: r.key_id,
  note: r.note,
  createdAt: r.created_at,
});

export class SqliteCheckpointRepo implements CheckpointRepo {
  readonly #st;

  constructor(db: SqliteDatabase) {
    this.#st = {
      latest: db.prepare<[], CheckpointRow>('SELECT * FROM checkpoints ORDER BY id DESC LIMIT 1'),
      bySize: db.prepare<[number], CheckpointRow>('SELECT * FROM checkpoints WHERE tree_size = ? ORDER BY id DESC LIMIT 1'),
      covering: db.prepare<[number], CheckpointRow>('SELECT * FROM checkpoints WHERE tree_size >= ? ORDER BY tree_size, id DESC LIMIT 1'),
      insert: db.prepare(
        'INSERT INTO checkpoints (tree_size, root_hash, origin, key_id, note, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
    };
  }

  async latest() {
    const r = this.#st.latest.get();
    return r ? toCheckpoint(r) : null;
  }

  async bySize(treeSize: number) {
    const r = this.#st.bySize.get(treeSize);
    return r ? toCheckpoint(r) : null;
  }

  async covering(treeSize: number) {
    const r = this.#st.covering.get(treeSize);
    return r ? toCheckpoint(r) : null;
  }

  async insert(cp: Omit<Checkpoint, 'id'>) {
    const r = this.#st.insert.run(cp.treeSize, cp.rootHash, cp.origin, cp.keyId, cp.note, cp.createdAt);
    return { id: Number(r.lastInsertRowid), ...cp };
  }
}
