import { hash } from 'node:crypto';
import { GENESIS_HASH, hashEvent } from './chain.js';
import { isCanonicalJson } from './jcs-check.js';
import { toStoredEvent, type EventRow } from './sqlite-rows.js';
import type { VerifyResult } from './types.js';

/**
 * One streaming pass over a stretch of the ledger that both verifies the hash chain and hashes
 * the Merkle tree's leaves into the subtree cache's blocks, so a first checkpoint reads every
 * event once. A stretch (a chunk) depends on nothing before it but the stored hash of the
 * event just before it, so chunks can be scanned on several threads and merged in order with
 * the same result as one verifier walking the whole range.
 */
export interface ScanChunk {
  /** The first and last seq of the chunk. The scan reads from `from - 1` (the anchor). */
  readonly from: number;
  readonly to: number;
  /** Events from this seq on are verified; those before it only give leaves. */
  readonly verifyFrom: number;
  /** Leaves [blockFrom·blockSize, blockTo·blockSize) are hashed into one node per block. */
  readonly blockFrom: number;
  readonly blockTo: number;
  readonly blockSize: number;
}

export interface ChunkResult {
  /** Events verified. */
  readonly checked: number;
  readonly failure: { readonly brokenAt: number; readonly reason: 'seq_order' | 'seq_gap' | 'prev_hash_mismatch' | 'hash_mismatch' } | null;
  /** An event missing (or unusable) before `verifyFrom`: the seq where the run stopped. */
  readonly gapAt: number | null;
  /** The rows ran out before `to` with no fault: the first seq missing. */
  readonly shortAt: number | null;
  /** The stored hash of the last event read (the anchor's, before any). */
  readonly lastHash: string | null;
  /** 32 bytes per block, blockFrom onwards; complete only when the chunk is. */
  readonly blocks: Uint8Array;
}

const HEX64 = /^[0-9a-f]{64}$/;
const sha256hex = (text: string): string => hash('sha256', text, 'hex');

/**
 * Does the stored row hash to its `hash`? The stored data text is hashed as it is when it is
 * certainly canonical (the writer stores the JCS text it hashed); anything else takes the
 * exact path of parsing and re-encoding, so both give the same answer for every row.
 */
export function rowHashMatches(row: EventRow): boolean {
  if (isCanonicalJson(row.data) && Number.isSafeInteger(row.seq)) {
    // JSON.stringify writes a string as JCS does, except a lone surrogate (JCS has none),
    // which it escapes as \udxxx: any \u escape goes the exact way.
    const at = JSON.stringify(row.at);
    const callId = row.call_id === null ? 'null' : JSON.stringify(row.call_id);
    const kind = JSON.stringify(row.kind);
    if (!at.includes('\\u') && !callId.includes('\\u') && !kind.includes('\\u')) {
      return sha256hex(`${row.prev_hash}{"at":${at},"callId":${callId},"data":${row.data},"kind":${kind},"seq":${row.seq}}`) === row.hash;
    }
  }
  try {
    return hashEvent(row.prev_hash, toStoredEvent(row)) === row.hash;
  } catch {
    return false;
  }
}

/** Hashes leaves into complete subtrees of `blockSize` (a power of two) leaves. */
class BlockHasher {
  readonly #stack: Buffer[] = [];
  readonly #counts: number[] = [];
  readonly #leaf = Buffer.alloc(33);
  readonly #node = Buffer.alloc(65);
  readonly #out: Buffer;
  #filled = 0;

  constructor(readonly blockSize: number, blocks: number) {
    this.#out = Buffer.alloc(32 * Math.max(0, blocks));
    this.#node[0] = 1;
  }

  /** `hex` is a checked 64-hex-digit chain hash. */
  push(hex: string): void {
    this.#leaf.write(hex, 1, 'hex');
    let h = hash('sha256', this.#leaf, 'buffer') as unknown as Buffer;
    let n = 1;
    while (this.#counts.length > 0 && this.#counts[this.#counts.length - 1] === n) {
      this.#counts.pop();
      this.#stack.pop()!.copy(this.#node, 1);
      h.copy(this.#node, 33);
      h = hash('sha256', this.#node, 'buffer') as unknown as Buffer;
      n *= 2;
    }
    if (n === this.blockSize) {
      h.copy(this.#out, 32 * this.#filled++);
    } else {
      this.#stack.push(h);
      this.#counts.push(n);
    }
  }

  blocks(): Uint8Array {
    return this.#out.subarray(0, 32 * this.#filled);
  }
}

/** Scans one chunk's rows, fed in seq order from `from - 1`; stops at the first fault. */
export class ChunkScanner {
  readonly #c: ScanChunk;
  readonly #blocks: BlockHasher;
  readonly #leafFrom: number;
  readonly #leafTo: number;
  #expect: number;
  #prev: string | null;
  #checked = 0;
  #failure: ChunkResult['failure'] = null;
  #gapAt: number | null = null;

  constructor(chunk: ScanChunk) {
    this.#c = chunk;
    this.#expect = chunk.from;
    this.#prev = chunk.from === 1 ? GENESIS_HASH : null;
    this.#leafFrom = chunk.blockFrom * chunk.blockSize;
    this.#leafTo = chunk.blockTo * chunk.blockSize;
    this.#blocks = new BlockHasher(chunk.blockSize, chunk.blockTo - chunk.blockFrom);
  }

  get checked(): number {
    return this.#checked;
  }

  /** Takes the next row; false once the chunk has a fault (later rows are not wanted). */
  push(row: EventRow): boolean {
    if (this.#failure || this.#gapAt !== null) return false;
    if (row.seq === this.#c.from - 1) {
      this.#prev = row.hash;
      return true;
    }
    const verify = this.#expect >= this.#c.verifyFrom;
    if (!verify) {
      if (row.seq !== this.#expect || !HEX64.test(row.hash)) return this.#gap(this.#expect);
    } else {
      const reason =
        row.seq < this.#expect
          ? 'seq_order'
          : row.seq > this.#expect || this.#prev === null
            ? 'seq_gap'
            : row.prev_hash !== this.#prev
              ? 'prev_hash_mismatch'
              : rowHashMatches(row)
                ? null
                : 'hash_mismatch';
      if (reason) {
        this.#failure = { brokenAt: row.seq, reason };
        return false;
      }
      this.#checked += 1;
    }
    const leaf = row.seq - 1;
    if (leaf >= this.#leafFrom && leaf < this.#leafTo) this.#blocks.push(row.hash);
    this.#prev = row.hash;
    this.#expect += 1;
    return true;
  }

  /** The chunk's outcome once its rows are in. */
  result(): ChunkResult {
    const short = !this.#failure && this.#gapAt === null && this.#expect <= this.#c.to;
    return {
      checked: this.#checked,
      failure: this.#failure,
      // Rows that stop short before `verifyFrom` are a gap in what was already verified.
      gapAt: short && this.#expect < this.#c.verifyFrom ? this.#expect : this.#gapAt,
      shortAt: short ? this.#expect : null,
      lastHash: this.#prev,
      blocks: this.#blocks.blocks(),
    };
  }

  #gap(at: number): false {
    this.#gapAt = at;
    return false;
  }
}

/** The chunks of [from, to]: boundaries on block edges, so no block straddles two chunks. */
export function planChunks(plan: Omit<ScanChunk, 'to' | 'from'> & { readonly from: number; readonly to: number }, rowsPerChunk: number): ScanChunk[] {
  const { blockSize } = plan;
  const per = Math.max(blockSize, Math.ceil(rowsPerChunk / blockSize) * blockSize);
  const out: ScanChunk[] = [];
  let from = plan.from;
  while (from <= plan.to) {
    // The next boundary: the first block edge at least `per` rows on.
    const edge = Math.floor((from - 1 + per) / blockSize) * blockSize; // a leaf index, so seq edge + 1 starts the next chunk
    const to = Math.min(plan.to, Math.max(edge, from));
    const firstLeaf = from - 1;
    const blockFrom = Math.max(plan.blockFrom, Math.ceil(firstLeaf / blockSize));
    const blockTo = Math.min(plan.blockTo, Math.floor(to / blockSize));
    out.push({ from, to, verifyFrom: plan.verifyFrom, blockFrom, blockTo: Math.max(blockFrom, blockTo), blockSize });
    from = to + 1;
  }
  return out;
}

/**
 * Chunk results in order as one verification, as a single verifier walking them would report
 * it: a chunk that ran short leaves the next one without its anchor, so that one fails with
 * `seq_gap` at its first event. `gapAt` is set when the blocks cannot be complete.
 */
export function mergeChunks(results: readonly ChunkResult[]): { verify: VerifyResult; gapAt: number | null; blocks: Uint8Array[] } {
  let checked = 0;
  const blocks: Uint8Array[] = [];
  let lastHash: string | null = null;
  let shortAt: number | null = null;
  for (const r of results) {
    checked += r.checked;
    if (r.failure) return { verify: { ok: false, checked, ...r.failure }, gapAt: null, blocks };
    lastHash = r.lastHash ?? lastHash;
    if (r.gapAt !== null) return { verify: { ok: true, checked, headHash: lastHash ?? GENESIS_HASH }, gapAt: r.gapAt, blocks };
    shortAt ??= r.shortAt;
    if (shortAt === null) blocks.push(r.blocks);
  }
  return { verify: { ok: true, checked, headHash: lastHash ?? GENESIS_HASH }, gapAt: shortAt, blocks };
}
