import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { sqliteChainRows } from '../../src/evidence/checkpoint-sqlite.js';

/** An events table of `n` rows; the paging does not look at the hashes. */
function ledgerOf(n: number): Database.Database {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE events (seq INTEGER PRIMARY KEY, call_id TEXT, at TEXT, kind TEXT, data TEXT, prev_hash TEXT, hash TEXT)');
  const insert = db.prepare('INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (let seq = 1; seq <= n; seq++) insert.run(seq, 'c', '2026-03-01T09:00:00.000Z', 'call.started', '{}', 'p', 'h');
  })();
  return db;
}

describe('sqliteChainRows on the main thread', () => {
  it('reads a scan in small pages and lets other work run between them (calls wait on this loop)', async () => {
    const db = ledgerOf(3_000);
    let turns = 0;
    let scanning = true;
    const otherWork = () => {
      if (!scanning) return;
      turns += 1;
      setImmediate(otherWork);
    };
    setImmediate(otherWork);
    const sizes: number[] = [];
    const seqs: number[] = [];
    for await (const page of sqliteChainRows(db).pages(1, 3_000)) {
      sizes.push(page.length);
      seqs.push(page[0]![0], page.at(-1)![0]);
    }
    scanning = false;
    db.close();
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(3_000);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(512);
    expect(seqs[0]).toBe(1);
    expect(seqs.at(-1)).toBe(3_000);
    // Every page boundary gave the event loop a turn.
    expect(turns).toBeGreaterThanOrEqual(sizes.length - 1);
  });

  it('stops at the end of the range and at the end of the table', async () => {
    const db = ledgerOf(700);
    const read = async (from: number, to: number) => {
      const out: number[] = [];
      for await (const page of sqliteChainRows(db).pages(from, to)) out.push(...page.map((r) => r[0]));
      return out;
    };
    expect(await read(650, 10_000)).toEqual(Array.from({ length: 51 }, (_, i) => 650 + i));
    expect(await read(100, 99)).toEqual([]);
    expect((await read(1, 600)).length).toBe(600);
    db.close();
  });
});
