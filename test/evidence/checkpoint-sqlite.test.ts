import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { GENESIS_HASH } from '../../src/evidence/chain.js';
import { linkMatches, type ScanRow } from '../../src/evidence/chain-scan.js';
import { sqliteChainRows } from '../../src/evidence/checkpoint-sqlite.js';
import { openSqliteEvidenceStore } from '../../src/evidence/sqlite-store.js';

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

describe('sqliteChainRows link text', () => {
  it("builds the link text of the writer's rows, so the scan hashes it as it stands (no row read whole)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'consentline-link-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'ledger.sqlite');
    const store = await openSqliteEvidenceStore({ path, writerThread: false });
    for (const digit of ['1', '2', '3']) await store.append({ callId: 'c1', kind: 'dtmf.received', data: { digit, note: 'żółw "q"\n' } });
    await store.close();
    const db = new Database(path, { readonly: true });
    const rows: ScanRow[] = [];
    for await (const page of sqliteChainRows(db).pages(1, 3)) rows.push(...page);
    db.close();
    expect(rows.map((r) => r[0])).toEqual([1, 2, 3]);
    rows.forEach((r, i) => expect(linkMatches(r, i === 0 ? GENESIS_HASH : rows[i - 1]![1]), String(r[0])).toBe(true));
  });
});
