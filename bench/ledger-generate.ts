// Generates a ledger straight into the events table with real chain hashes (raw inserts, no
// writer): for benches that need millions of events. Event bodies are typical prompt plays,
// key presses and consents, built as JCS text by hand (checked against the real encoder).
import { performance } from 'node:perf_hooks';
import type { PgQueryable } from '../src/db/pg.js';
import type { SqliteDatabase } from '../src/db/sqlite.js';
import { canonicalBodyFromParts, GENESIS_HASH, linkHash } from '../src/evidence/chain.js';
import type { EventKind } from '../src/evidence/types.js';

export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

export type GeneratedRow = [seq: number, callId: string, at: string, kind: EventKind, data: string, prevHash: string, hash: string];

const START = Date.parse('2025-01-01T00:00:00.000Z');
const AUDIO = 'c3'.repeat(32);

function eventOf(seq: number): { callId: string; at: string; kind: EventKind; data: string } {
  const call = Math.floor(seq / 9);
  const callId = `call-${call.toString(36).padStart(7, '0')}`;
  const at = new Date(START + seq * 250).toISOString();
  switch (seq % 9) {
    case 0:
      return { callId, at, kind: 'call.started', data: `{"caller":"${'ab'.repeat(32)}","channelId":"ch-${call}","did":"+48221234567","flowId":"main","instance":"cl-1","lang":"pl","legalBasis":"consent_by_conduct","server":"pbx-1"}` };
    case 4:
      return { callId, at, kind: 'dtmf.received', data: '{"digit":"1"}' };
    case 7:
      return { callId, at, kind: 'consent.recording', data: '{"decision":"granted","how":"conduct","legalBasis":"consent_by_conduct"}' };
    case 8:
      return { callId, at, kind: 'call.continued', data: '{"lang":"pl","marketing":"none","outcome":"continued","recording":"yes","route":"agents"}' };
    default:
      return {
        callId,
        at,
        kind: 'prompt.played',
        data: `{"audioSha256":"${AUDIO}","endedAt":"${at}","lang":"pl","playback":"completed","playbackId":"${callId}-${seq % 9}","promptId":"notice","startedAt":"${at}","step":"notice","version":"3"}`,
      };
  }
}

/** `count` rows after `head`, in batches of `batch`; the last row's seq and hash is the new head. */
export function* generateRows(head: ChainHead, count: number, batch: number): Generator<GeneratedRow[]> {
  let prev = head.hash;
  let rows: GeneratedRow[] = [];
  for (let seq = head.seq + 1; seq <= head.seq + count; seq++) {
    const e = eventOf(seq);
    // JCS by hand (ASCII strings, integer seq): the generic encoder would triple the time.
    const body = `{"at":"${e.at}","callId":"${e.callId}","data":${e.data},"kind":"${e.kind}","seq":${seq}}`;
    if (seq <= 20 && body !== canonicalBodyFromParts(seq, e.callId, e.at, e.kind, e.data)) throw new Error(`not JCS: ${body}`);
    const hash = linkHash(prev, body);
    rows.push([seq, e.callId, e.at, e.kind, e.data, prev, hash]);
    prev = hash;
    if (rows.length === batch) {
      yield rows;
      rows = [];
    }
  }
  if (rows.length > 0) yield rows;
}

export interface GenerateReport {
  readonly head: ChainHead;
  readonly seconds: number;
}

function progress(t0: number, done: number, count: number, last: { at: number }): void {
  const now = performance.now();
  if (now - last.at < 10_000) return;
  last.at = now;
  console.log(`  generated ${done}/${count} events (${Math.round(done / ((now - t0) / 1000))}/s)`);
}

/** Appends `count` generated events to a SQLite ledger (synchronous=OFF while it runs). */
export function generateSqlite(db: SqliteDatabase, head: ChainHead, count: number): GenerateReport {
  const insert = db.prepare('INSERT INTO events (seq, call_id, at, kind, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const tx = db.transaction((rows: GeneratedRow[]) => {
    for (const r of rows) insert.run(...r);
  });
  const sync = db.pragma('synchronous', { simple: true });
  db.pragma('synchronous = OFF');
  const t0 = performance.now();
  const last = { at: t0 };
  let done = 0;
  let end = head;
  try {
    for (const rows of generateRows(head, count, 20_000)) {
      tx(rows);
      done += rows.length;
      const r = rows[rows.length - 1]!;
      end = { seq: r[0], hash: r[6] };
      progress(t0, done, count, last);
    }
  } finally {
    db.pragma(`synchronous = ${Number(sync)}`);
  }
  return { head: end, seconds: (performance.now() - t0) / 1000 };
}

/** Appends `count` generated events to a PostgreSQL ledger (one multi-row INSERT per batch; pass a connection with synchronous_commit off). */
export async function generatePg(db: PgQueryable, head: ChainHead, count: number): Promise<GenerateReport> {
  const t0 = performance.now();
  const last = { at: t0 };
  let done = 0;
  let end = head;
  for (const rows of generateRows(head, count, 5_000)) {
    const col = (i: number) => rows.map((r) => r[i]);
    await db.query(
      `INSERT INTO events (seq, call_id, at, kind, data, prev_hash, hash)
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::json[], $6::text[], $7::text[])`,
      [col(0), col(1), col(2), col(3), col(4), col(5), col(6)],
    );
    done += rows.length;
    const r = rows[rows.length - 1]!;
    end = { seq: r[0], hash: r[6] };
    progress(t0, done, count, last);
  }
  return { head: end, seconds: (performance.now() - t0) / 1000 };
}

export const GENESIS: ChainHead = { seq: 0, hash: GENESIS_HASH };
