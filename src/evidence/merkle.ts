import { createHash, hash, timingSafeEqual } from 'node:crypto';

/**
 * RFC 9162 (Certificate Transparency v2) §2.1 Merkle tree hashing, over any leaf source.
 *
 * The ledger's leaf `i` is the event with seq `i + 1`, and its leaf data is the event's
 * 32-byte chain hash (the raw bytes of the hex `hash` column). The chain hash already
 * commits to the event's canonical body and to every event before it, so a verifier who
 * holds an event recomputes `hash = SHA-256(prevHash ‖ JCS(body))`, then the leaf, then the
 * root from the audit path: one proof covers both the content and the position.
 */

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

/** MTH({}) = SHA-256() */
export const EMPTY_ROOT: Buffer = createHash('sha256').digest();

// One-shot crypto.hash costs a third of a createHash chain: proofs and checkpoints hash a lot.
const sha256 = (data: Buffer): Buffer => hash('sha256', data, 'buffer') as unknown as Buffer;

/** SHA-256(0x00 ‖ data) */
export function hashLeaf(data: Uint8Array): Buffer {
  return sha256(Buffer.concat([LEAF_PREFIX, data]));
}

/** SHA-256(0x01 ‖ left ‖ right) */
export function hashChildren(left: Uint8Array, right: Uint8Array): Buffer {
  return sha256(Buffer.concat([NODE_PREFIX, left, right]));
}

/** The leaf hash of an event, from its hex chain hash. */
export function eventLeafHash(chainHashHex: string): Buffer {
  return hashLeaf(Buffer.from(chainHashHex, 'hex'));
}

/** The largest power of two strictly below n (n > 1). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * Anything that can give MTH(D[start:end]) for 0 <= start < end <= size. The recursion
 * below only ever asks for subtrees whose left parts are complete and aligned, which is what
 * lets a store cache them.
 */
export interface SubtreeSource {
  subtree(start: number, end: number): Promise<Buffer>;
}

/** MTH(D[0:n]) */
export async function treeRoot(src: SubtreeSource, size: number): Promise<Buffer> {
  return size === 0 ? EMPTY_ROOT : src.subtree(0, size);
}

/**
 * PATH(m, D[0:n]): the audit path of leaf `index` in the tree of `size` leaves, leaf end first.
 * The subtrees are asked for all at once, so a source can fetch what it stores in one read.
 */
export async function inclusionPath(src: SubtreeSource, index: number, size: number): Promise<Buffer[]> {
  if (!(index >= 0 && index < size)) throw new RangeError(`leaf ${index} is not in a tree of ${size}`);
  // Top-down: at each split the sibling of the half holding m; the path lists them bottom-up.
  const ranges: [number, number][] = [];
  for (let m = index, start = 0, end = size; end - start > 1; ) {
    const k = splitPoint(end - start);
    if (m < k) {
      ranges.push([start + k, end]);
      end = start + k;
    } else {
      ranges.push([start, start + k]);
      m -= k;
      start += k;
    }
  }
  return Promise.all(ranges.reverse().map(([a, b]) => src.subtree(a, b)));
}

/** PROOF(m, D[0:n]): the consistency proof from the tree of `oldSize` leaves to the one of `newSize` (subtrees asked for at once). */
export async function consistencyProof(src: SubtreeSource, oldSize: number, newSize: number): Promise<Buffer[]> {
  if (!(oldSize >= 0 && oldSize <= newSize)) throw new RangeError(`no consistency proof from ${oldSize} to ${newSize}`);
  if (oldSize === 0 || oldSize === newSize) return [];
  // SUBPROOF(m, D[start:end], whole) top-down; the proof lists its parts bottom-up.
  const ranges: [number, number][] = [];
  let m = oldSize;
  let start = 0;
  let end = newSize;
  let whole = true;
  while (m !== end - start) {
    const k = splitPoint(end - start);
    if (m <= k) {
      ranges.push([start + k, end]);
      end = start + k;
    } else {
      ranges.push([start, start + k]);
      m -= k;
      start += k;
      whole = false;
    }
  }
  if (!whole) ranges.push([start, end]);
  return Promise.all(ranges.reverse().map(([a, b]) => src.subtree(a, b)));
}

function isPowerOfTwo(n: number): boolean {
  let k = 1;
  while (k < n) k *= 2;
  return k === n;
}

const odd = (x: number) => x % 2 === 1;
const half = (x: number) => Math.floor(x / 2);

function equalHash(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The root an audit path leads to (RFC 9162 §2.1.3.2), or null when the path cannot fit the tree. */
export function rootFromInclusion(leafHash: Uint8Array, index: number, size: number, path: readonly Uint8Array[]): Buffer | null {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return null;
  let fn = index;
  let sn = size - 1;
  let r: Buffer = Buffer.from(leafHash);
  for (const p of path) {
    if (sn === 0) return null;
    if (odd(fn) || fn === sn) {
      r = hashChildren(p, r);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = hashChildren(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 ? r : null;
}

/** RFC 9162 §2.1.3.2: does `path` prove leaf `index` in the tree of `size` with this root? */
export function verifyInclusion(leafHash: Uint8Array, index: number, size: number, path: readonly Uint8Array[], root: Uint8Array): boolean {
  const r = rootFromInclusion(leafHash, index, size, path);
  return r !== null && equalHash(r, root);
}

/** RFC 9162 §2.1.4.2: does `proof` show the tree of `oldSize` is a prefix of the tree of `newSize`? */
export function verifyConsistency(
  oldSize: number,
  newSize: number,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (!Number.isSafeInteger(oldSize) || !Number.isSafeInteger(newSize) || oldSize < 0 || oldSize > newSize) return false;
  if (oldSize === newSize) return proof.length === 0 && equalHash(oldRoot, newRoot);
  // Every tree extends the empty one; there is nothing to prove.
  if (oldSize === 0) return proof.length === 0;
  let c = [...proof];
  if (isPowerOfTwo(oldSize)) c = [Buffer.from(oldRoot), ...c];
  if (c.length === 0) return false;
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr: Buffer = Buffer.from(c[0]!);
  let sr: Buffer = Buffer.from(c[0]!);
  for (const p of c.slice(1)) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      fr = hashChildren(p, fr);
      sr = hashChildren(p, sr);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = hashChildren(sr, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && equalHash(fr, oldRoot) && equalHash(sr, newRoot);
}

/** An in-memory tree over leaf hashes: for bundles, tests and small ledgers. */
export class MemoryTree implements SubtreeSource {
  readonly #leaves: readonly Buffer[];
  constructor(leafHashes: readonly Buffer[]) {
    this.#leaves = leafHashes;
  }
  get size(): number {
    return this.#leaves.length;
  }
  async subtree(start: number, end: number): Promise<Buffer> {
    return subtreeOfLeaves(this.#leaves, start, end);
  }
}

/** MTH over a slice of leaf hashes, computed bottom-up. */
export function subtreeOfLeaves(leaves: readonly Buffer[], start: number, end: number): Buffer {
  const n = end - start;
  if (n <= 0 || start < 0 || end > leaves.length) throw new RangeError(`no subtree [${start}, ${end}) in ${leaves.length} leaves`);
  if (n === 1) return leaves[start]!;
  const k = splitPoint(n);
  return hashChildren(subtreeOfLeaves(leaves, start, start + k), subtreeOfLeaves(leaves, start + k, end));
}

/**
 * The right edge of a growing tree (a compact range from leaf 0): one perfect subtree per set
 * bit of the size, so O(log n) hashes give MTH of every prefix as the leaves stream past.
 */
export class MerkleFrontier {
  readonly #nodes: { hash: Buffer; leaves: number }[] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  push(leafHash: Buffer): void {
    let node = { hash: leafHash, leaves: 1 };
    for (let top = this.#nodes.at(-1); top && top.leaves === node.leaves; top = this.#nodes.at(-1)) {
      this.#nodes.pop();
      node = { hash: hashChildren(top.hash, node.hash), leaves: top.leaves * 2 };
    }
    this.#nodes.push(node);
    this.#size += 1;
  }

  /** MTH(D[0:size]) */
  root(): Buffer {
    if (this.#nodes.length === 0) return EMPTY_ROOT;
    let r = this.#nodes[this.#nodes.length - 1]!.hash;
    for (let i = this.#nodes.length - 2; i >= 0; i--) r = hashChildren(this.#nodes[i]!.hash, r);
    return r;
  }
}
