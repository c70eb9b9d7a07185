import { hash } from 'node:crypto';
import { GENESIS_HASH, hashEvent } from './chain.js';
import { isCanonicalJson, isCanonicalJsonAt } from './jcs-check.js';
import { BlockHasher } from './merkle-blocks.js';
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
 * A stored event as a scan reads it: seq, the stored hash and the link text the database put
 * together, `prev_hash ‖ {"at":q(at),"callId":q(call_id),"data":data,"kind":q(kind),"seq":seq}`
 * where q is the engine's JSON quoting (SQLite json_quote, PostgreSQL to_json; null for a null
 * call_id), or null when prev_hash is not 64 characters long or a field is missing. The scan
 * hashes that text as it stands when {@link linkMatches} proves it is what the exact path would
 * hash; any other row is read whole and takes the exact path ({@link rowHashMatches}).
 */
export type ScanRow = readonly [seq: number, hash: string, link: string | null];

const DATA_KEY = ',"data":';
const KIND_KEY = ',"kind":';

/** No backslash (the engine escaped something) and no U+FFFD (invalid UTF-8 read back) in [from, to). */
function plainText(t: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = t.charCodeAt(i);
    if (c === 0x5c || c === 0xfffd) return false;
  }
  return true;
}

/**
 * Does the row link to `prev` (64 hex digits) and hash to its stored hash, decided on the link
 * text alone? True only when the link text is exactly what the exact path hashes: prev_hash is
 * `prev` (64 characters in the database, so nothing follows it), the quoted fixed fields hold
 * no escape (then the engine's quoting is JSON.stringify's, which JCS uses), `data` is
 * certainly canonical, and seq is a safe integer (printed alike by the engine and by JCS).
 * False means "not decided here": the caller takes the exact path.
 */
export function linkMatches(row: ScanRow, prev: string): boolean {
  const [seq, stored, link] = row;
  if (link === null || !Number.isSafeInteger(seq) || !link.startsWith(prev)) return false;
  // Neither key can occur inside a quoted field (its quotes would be escaped), so the first
  // ',"data":' after prev_hash and the last ',"kind":' bound the data text.
  const at = link.indexOf(DATA_KEY, 64);
  const dataEnd = link.lastIndexOf(KIND_KEY);
  if (at < 0 || dataEnd < at + DATA_KEY.length) return false;
  const dataStart = at + DATA_KEY.length;
  if (!plainText(link, 64, dataStart) || !plainText(link, dataEnd, link.length)) return false;
  return isCanonicalJsonAt(link, dataStart, dataEnd) && sha256hex(link) === stored;
}

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

/** Scans one chunk's rows, fed in seq order from `from - 1`; stops at the first fault. */
export class ChunkScanner {
  readonly #c: ScanChunk;
  readonly #blocks: BlockHasher;
  readonly #leafFrom: number;
  readonly #leafTo: number;
  #expect: number;
  #prev: string | null;
  /** #prev is 64 hex digits (the anchor's stored hash may be anything). */
  #prevHex: boolean;
  #checked = 0;
  #failure: ChunkResult['failure'] = null;
  #gapAt: number | null = null;

  constructor(chunk: ScanChunk) {
    this.#c = chunk;
    this.#expect = chunk.from;
    this.#prev = chunk.from === 1 ? GENESIS_HASH : null;
    this.#prevHex = chunk.from === 1;
    this.#leafFrom = chunk.blockFrom * chunk.blockSize;
    this.#leafTo = chunk.blockTo * chunk.blockSize;
    this.#blocks = new BlockHasher(chunk.blockSize, chunk.blockTo - chunk.blockFrom);
  }

  get checked(): number {
    return this.#checked;
  }

  /**
   * Takes the next row as the scan reads it: false once the chunk has a fault (later rows are
   * not wanted), 'exact' when this row must be read whole and given to {@link push}.
   */
  pushScanRow(row: ScanRow): boolean | 'exact' {
    if (this.#failure || this.#gapAt !== null) return false;
    const [seq, stored] = row;
    if (seq === this.#c.from - 1) return this.#anchor(stored);
    if (this.#expect < this.#c.verifyFrom) {
      if (seq !== this.#expect || !HEX64.test(stored)) return this.#gap(this.#expect);
    } else {
      if (seq !== this.#expect || !this.#prevHex || !linkMatches(row, this.#prev!)) return 'exact';
      this.#checked += 1;
    }
    return this.#accept(seq, stored);
  }

  /** Takes the next row whole (the exact path); false once the chunk has a fault. */
  push(row: EventRow): boolean {
    if (this.#failure || this.#gapAt !== null) return false;
    if (row.seq === this.#c.from - 1) return this.#anchor(row.hash);
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
    return this.#accept(row.seq, row.hash);
  }

  #anchor(stored: string): true {
    this.#prev = stored;
    this.#prevHex = HEX64.test(stored);
    return true;
  }

  /** A row that verified (or gave its leaf): hash its leaf, link the next one to it. */
  #accept(seq: number, stored: string): true {
    const leaf = seq - 1;
    if (leaf >= this.#leafFrom && leaf < this.#leafTo) this.#blocks.push(stored);
    this.#prev = stored;
    // A verified hash is a computed digest and a leaf-only one was tested: both are hex.
    this.#prevHex = true;
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
