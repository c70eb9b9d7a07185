import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteEvidenceStore } from '../src/evidence/sqlite-store.js';
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
}

export interface AppendRunResult {
  readonly events: number;
  readonly seconds: number;
  readonly eventsPerSec: number;
  readonly batches: number;
  readonly largestBatch: number;
}

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
    const store = await openSqliteEvidenceStore({
      path: join(dir, 'ledger.sqlite'),
      maxBatch: opts.maxBatch,
      ...(opts.writerThread === undefined ? {} : { writerThread: opts.writerThread }),
    });
    const perWriter = Math.ceil(opts.events / opts.writers);
    let remaining = opts.events;
    const writer = async (w: number) => {
      for (let i = 0; i < perWriter && remaining > 0; i++) {
        remaining -= 1;
        await store.append(makeEvent(w, i));
      }
    };
    const started = process.hrtime.bigint();
    await Promise.all(Array.from({ length: opts.writers }, (_, w) => writer(w)));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const stats = store.writeStats();
    const head = await store.head();
    await store.close();
    if (head?.seq !== opts.events) throw new Error(`expected ${opts.events} events, ledger holds ${head?.seq ?? 0}`);
    return { events: opts.events, seconds, eventsPerSec: opts.events / seconds, batches: stats.batches, largestBatch: stats.largestBatch };
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
