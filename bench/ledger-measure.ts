import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { openPgEvidenceStore } from '../src/evidence/pg-store.js';
import { openSqliteEvidenceStore } from '../src/evidence/sqlite-store.js';
import type { GroupCommitStats } from '../src/evidence/group-commit.js';
import type { EvidenceStore } from '../src/evidence/store.js';
import type { NewEvent } from '../src/evidence/types.js';

export interface AppendRunOptions {
  /** Total events, split evenly over the writers. */
  readonly events: number;
  /** Concurrent writers, each awaiting its own appends one after another, like calls do. */
  readonly writers: number;
  /** Most events per transaction; 1 is the one-transaction-per-event baseline. */
  readonly maxBatch: number;
  /** Where the throw-away database goes (default: the OS temp dir). */
  readonly dir?: string;
  readonly makeEvent?: (writer: number, i: number) => NewEvent;
  /** Commit on the writer thread (default, as the service does) or inline on the caller's thread. */
  readonly writerThread?: boolean;
  /** A PostgreSQL database URL: the run appends into a fresh schema there instead of a SQLite file. */
  readonly pgUrl?: string;
}

export interface AppendRunResult {
  readonly events: number;
  readonly seconds: number;
  readonly eventsPerSec: number;
  readonly batches: number;
  readonly largestBatch: number;
  /** Append-to-acknowledgement latency (ms): from append() to its promise resolving after the commit. */
  readonly ackP50Ms: number;
  readonly ackP99Ms: number;
}

let schemas = 0;

const AUDIO_SHA = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** A typical playback event: prompt id, language, version, audio hash. */
export function promptEvent(writer: number, i: number): NewEvent {
  return {
    callId: `bench-call-${writer}`,
    kind: 'prompt.played',
    data: { promptId: 'notice', language: 'pl', version: 3, sha256: AUDIO_SHA, attempt: i },
  };
}

/**
 * Measures durable appends (WAL, synchronous=FULL) into a fresh SQLite ledger and deletes
 * it afterwards. Every event counted was acknowledged, i.e. committed with fsync.
 */
export async function measureAppends(opts: AppendRunOptions): Promise<AppendRunResult> {
  const dir = mkdtempSync(join(opts.dir ?? tmpdir(), 'consentline-bench-'));
  const makeEvent = opts.makeEvent ?? promptEvent;
  try {
    const store: EvidenceStore & { writeStats(): GroupCommitStats } = opts.pgUrl
      ? await openPgEvidenceStore({ url: opts.pgUrl, schema: `bench_${process.pid}_${++schemas}`, maxBatch: opts.maxBatch, max: 2 })
      : await openSqliteEvidenceStore({
          path: join(dir, 'ledger.sqlite'),
          maxBatch: opts.maxBatch,
          ...(opts.writerThread === undefined ? {} : { writerThread: opts.writerThread }),
        });
    const perWriter = Math.ceil(opts.events / opts.writers);
    let remaining = opts.events;
    const acks: number[] = [];
    const writer = async (w: number) => {
      for (let i = 0; i < perWriter && remaining > 0; i++) {
        remaining -= 1;
        const t = performance.now();
        await store.append(makeEvent(w, i));
        acks.push(performance.now() - t);
      }
    };
    const started = process.hrtime.bigint();
    await Promise.all(Array.from({ length: opts.writers }, (_, w) => writer(w)));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const stats = store.writeStats();
    const head = await store.head();
    await store.close();
    if (head?.seq !== opts.events) throw new Error(`expected ${opts.events} events, ledger holds ${head?.seq ?? 0}`);
    acks.sort((a, b) => a - b);
    const at = (p: number) => Number(acks[Math.min(acks.length - 1, Math.floor(p * acks.length))]!.toFixed(2));
    return { events: opts.events, seconds, eventsPerSec: opts.events / seconds, batches: stats.batches, largestBatch: stats.largestBatch, ackP50Ms: at(0.5), ackP99Ms: at(0.99) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The floor: what SQLite and the disk do with `rowsPerTx` rows of the event's size per
 * fsync'ed transaction (WAL, synchronous=FULL), with no chain, no hashing and no thread hop.
 */
export function measureSqliteFloor(opts: { rows: number; rowsPerTx: number; dir?: string }): { rowsPerSec: number; transactions: number } {
  const dir = mkdtempSync(join(opts.dir ?? tmpdir(), 'consentline-bench-floor-'));
  try {
    const db = new Database(join(dir, 'floor.sqlite'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE t (seq INTEGER PRIMARY KEY, call_id TEXT, at TEXT NOT NULL, kind TEXT NOT NULL, data TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL) STRICT');
    const insert = db.prepare('INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?)');
    const data = JSON.stringify(promptEvent(1, 1).data);
    const tx = db.transaction((from: number, n: number) => {
      for (let i = from; i < from + n; i++) insert.run(i, 'bench-call-1', new Date().toISOString(), 'prompt.played', data, AUDIO_SHA, AUDIO_SHA);
    });
    const t = performance.now();
    let transactions = 0;
    for (let from = 1; from <= opts.rows; from += opts.rowsPerTx) {
      tx(from, Math.min(opts.rowsPerTx, opts.rows - from + 1));
      transactions++;
    }
    const seconds = (performance.now() - t) / 1000;
    db.close();
    return { rowsPerSec: Math.round(opts.rows / seconds), transactions };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function machineInfo(): { cpu: string; cores: number; node: string; sqlite: string; loadAvg1m: number } {
  const db = new Database(':memory:');
  const sqlite = db.prepare('SELECT sqlite_version()').pluck().get() as string;
  db.close();
  // The load average says how much of the machine other processes held during the run.
  return { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version, sqlite, loadAvg1m: Number(loadavg()[0]!.toFixed(2)) };
}
