import { isMainThread, type Worker } from 'node:worker_threads';
import { ChunkScanner, mergeChunks, planChunks, type ChunkResult, type ScanChunk, type ScanRow } from './chain-scan.js';
import type { EventRow } from './sqlite-rows.js';

/** How a scan reads the ledger's events. */
export interface ChainRows {
  /** Pages of events with from <= seq <= to, in seq order, as the scan reads them. */
  pages(from: number, to: number): AsyncIterable<readonly ScanRow[]>;
  /** One stored row whole, for the exact path (a row the link text does not decide). */
  row(seq: number): Promise<EventRow | undefined>;
}

/** Scan threads of one engine: each opens its own connection to the ledger. */
export interface ScanThreads {
  readonly threads: number;
  /** Scans of fewer events stay on the calling thread (default {@link THREADED_SCAN_MIN}). */
  readonly threadedFrom?: number;
  start(): Worker;
}

/** How a read side scans: threads (default one per core) and the size from which it uses them. */
export interface ScanOptions {
  readonly threads?: number;
  readonly threadedFrom?: number;
}

export type ScanPlan = Omit<ScanChunk, 'from' | 'to'> & { readonly from: number; readonly to: number };
export type ScanOutcome = ReturnType<typeof mergeChunks>;

/**
 * Rows per page of a ledger scan. On the main thread each page (its read and its hashes, about
 * 20 µs a row) runs while calls wait for their next prompt, so pages stay near 10 ms there: an
 * incremental checkpoint over 10,000 events in 8,192-row pages held the event loop for ~200 ms
 * at a time. Scan threads keep large pages.
 */
export const scanPageRows = (): number => (isMainThread ? 512 : 8_192);

/** Below this many events a scan stays on the calling thread: starting threads costs more. */
export const THREADED_SCAN_MIN = 200_000;
/**
 * A scan thread keeps one page of rows alive at a time: a small heap makes V8 collect the
 * pages it is done with early instead of growing while millions of rows pass.
 */
export const SCAN_THREAD_LIMITS = { resourceLimits: { maxOldGenerationSizeMb: 160 } };
/** Chunks per thread, so a thread slowed by other work holds up little at the end. */
const CHUNKS_PER_THREAD = 4;

export type ScanRequest = { readonly index: number; readonly chunk: ScanChunk } | { readonly close: true };
export type ScanReply =
  | { readonly type: 'progress'; readonly checked: number }
  | { readonly type: 'done'; readonly index: number; readonly result: ChunkResult }
  | { readonly type: 'error'; readonly index: number; readonly message: string };

/** Runs one chunk over pages of rows (on whichever thread calls it). */
export async function scanOneChunk(chunk: ScanChunk, rows: ChainRows, onChecked?: (delta: number) => void): Promise<ChunkResult> {
  const scanner = new ChunkScanner(chunk);
  let reported = 0;
  pages: for await (const page of rows.pages(chunk.from - 1, chunk.to)) {
    for (const row of page) {
      let more = scanner.pushScanRow(row);
      if (more === 'exact') {
        const whole = await rows.row(row[0]);
        // Events are never updated or deleted: a row that was just read is still there.
        if (!whole) throw new Error(`ledger event ${row[0]} vanished during the scan`);
        more = scanner.push(whole);
      }
      if (!more) break pages;
    }
    if (onChecked && scanner.checked > reported) {
      onChecked(scanner.checked - reported);
      reported = scanner.checked;
    }
  }
  if (onChecked && scanner.checked > reported) onChecked(scanner.checked - reported);
  return scanner.result();
}

/**
 * Verifies and hashes [plan.from, plan.to] once: on the calling thread for small ranges or
 * without threads, else in chunks over `threads` scan threads, merged in seq order.
 */
export async function scanChain(plan: ScanPlan, rows: ChainRows, threads?: ScanThreads, onProgress?: (checked: number) => void): Promise<ScanOutcome> {
  let checked = 0;
  const onChecked = onProgress ? (d: number) => onProgress((checked += d)) : undefined;
  const count = plan.to - plan.from + 1;
  if (!threads || threads.threads < 1 || count < (threads.threadedFrom ?? THREADED_SCAN_MIN)) {
    const results: ChunkResult[] = [];
    for (const chunk of planChunks(plan, Number.MAX_SAFE_INTEGER)) results.push(await scanOneChunk(chunk, rows, onChecked));
    return mergeChunks(results);
  }
  const chunks = planChunks(plan, Math.ceil(count / (threads.threads * CHUNKS_PER_THREAD)));
  return mergeChunks(await runOnThreads(chunks, threads, onChecked));
}

function runOnThreads(chunks: readonly ScanChunk[], threads: ScanThreads, onChecked?: (delta: number) => void): Promise<ChunkResult[]> {
  // Filled, not sparse: every() skips the holes of a sparse array.
  const results: (ChunkResult | undefined)[] = chunks.map(() => undefined);
  const workers: Worker[] = [];
  let next = 0;
  // The first chunk with a fault ends the verification: later chunks are not needed.
  let stopAfter = chunks.length;
  return new Promise<ChunkResult[]>((resolve, reject) => {
    let settled = false;
    const finish = (err: Error | null) => {
      if (settled) return;
      settled = true;
      for (const w of workers) void w.terminate();
      if (err) reject(err);
      else resolve(results.slice(0, stopAfter + 1).filter((r): r is ChunkResult => r !== undefined));
    };
    const doneAll = () => results.slice(0, Math.min(stopAfter + 1, chunks.length)).every((r) => r !== undefined);
    const closed = new Set<Worker>();
    const feed = (w: Worker) => {
      if (next >= chunks.length || next > stopAfter) {
        closed.add(w);
        return w.postMessage({ close: true } satisfies ScanRequest);
      }
      const index = next++;
      w.postMessage({ index, chunk: chunks[index]! } satisfies ScanRequest);
    };
    for (let t = 0; t < Math.min(threads.threads, chunks.length); t++) {
      const w = threads.start();
      workers.push(w);
      w.on('message', (m: ScanReply) => {
        if (m.type === 'progress') return onChecked?.(m.checked);
        if (m.type === 'error') return finish(new Error(`ledger scan thread: ${m.message}`));
        results[m.index] = m.result;
        if ((m.result.failure || m.result.gapAt !== null) && m.index < stopAfter) stopAfter = m.index;
        if (doneAll()) return finish(null);
        feed(w);
      });
      w.on('error', (err) => finish(err));
      w.on('exit', (code) => {
        if (!closed.has(w)) finish(new Error(`ledger scan thread exited (code ${code})`));
      });
      feed(w);
    }
  });
}
