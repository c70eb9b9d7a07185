import { describe, expect, it } from 'vitest';
import { openSqliteEvidenceStore } from '../../src/evidence/sqlite-store.js';
import { openTestStore, seed, tamper, tempDbPath } from './helpers.js';

async function ledgerOf(n: number): Promise<string> {
  const path = tempDbPath();
  const store = await openTestStore(path);
  await seed(store, n);
  await store.close();
  return path;
}

async function verify(path: string, range?: { fromSeq?: number; toSeq?: number }) {
  const store = await openSqliteEvidenceStore({ path, mustExist: true });
  try {
    return await store.verify(range);
  } finally {
    await store.close();
  }
}

describe('tampering with the SQLite file', () => {
  it('the append-only triggers refuse casual edits', async () => {
    const path = await ledgerOf(3);
    const store = await openSqliteEvidenceStore({ path });
    await store.close();
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(path);
    expect(() => db.prepare("UPDATE events SET data = '{}' WHERE seq = 2").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM events WHERE seq = 2').run()).toThrow(/append-only/);
    db.close();
  });

  it('changed data → hash_mismatch at that event', async () => {
    const path = await ledgerOf(10);
    tamper(path, (db) => db.prepare(`UPDATE events SET data = json_set(data, '$.promptId', 'other') WHERE seq = 6`).run());
    expect(await verify(path)).toEqual({ ok: false, checked: 5, brokenAt: 6, reason: 'hash_mismatch' });
  });

  it('a changed time, kind or call id → hash_mismatch', async () => {
    const path = await ledgerOf(10);
    tamper(path, (db) => db.prepare(`UPDATE events SET at = '2020-01-01T00:00:00.000Z' WHERE seq = 3`).run());
    expect(await verify(path)).toMatchObject({ brokenAt: 3, reason: 'hash_mismatch' });
    const path2 = await ledgerOf(10);
    tamper(path2, (db) => db.prepare(`UPDATE events SET call_id = 'someone-else' WHERE seq = 9`).run());
    expect(await verify(path2)).toMatchObject({ brokenAt: 9, reason: 'hash_mismatch' });
  });

  it('a deleted event → seq_gap at the event after it', async () => {
    const path = await ledgerOf(10);
    tamper(path, (db) => db.prepare('DELETE FROM events WHERE seq = 4').run());
    expect(await verify(path)).toEqual({ ok: false, checked: 3, brokenAt: 5, reason: 'seq_gap' });
  });

  it('a deleted first event → seq_gap at seq 2', async () => {
    const path = await ledgerOf(5);
    tamper(path, (db) => db.prepare('DELETE FROM events WHERE seq = 1').run());
    expect(await verify(path)).toEqual({ ok: false, checked: 0, brokenAt: 2, reason: 'seq_gap' });
  });

  it('two events reordered (seq swapped) → prev_hash_mismatch at the first of them', async () => {
    const path = await ledgerOf(10);
    tamper(path, (db) => {
      db.prepare('UPDATE events SET seq = -7 WHERE seq = 7').run();
      db.prepare('UPDATE events SET seq = 7 WHERE seq = 8').run();
      db.prepare('UPDATE events SET seq = 8 WHERE seq = -7').run();
    });
    expect(await verify(path)).toEqual({ ok: false, checked: 6, brokenAt: 7, reason: 'prev_hash_mismatch' });
  });

  it('a range verify anchors on the event before it and so sees a break at its edge', async () => {
    const path = await ledgerOf(10);
    tamper(path, (db) => db.prepare('DELETE FROM events WHERE seq = 4').run());
    expect(await verify(path, { fromSeq: 6 })).toMatchObject({ ok: true, checked: 5 });
    expect(await verify(path, { fromSeq: 5 })).toMatchObject({ ok: false, brokenAt: 5, reason: 'seq_gap' });
    expect(await verify(path, { fromSeq: 1, toSeq: 3 })).toMatchObject({ ok: true, checked: 3 });
  });

  it('a row slipped in below seq 1 → seq_order', async () => {
    const path = await ledgerOf(3);
    tamper(path, (db) =>
      db.prepare(`INSERT INTO events (seq, call_id, at, kind, data, prev_hash, hash) SELECT 0, call_id, at, kind, data, prev_hash, hash FROM events WHERE seq = 1`).run(),
    );
    expect(await verify(path)).toMatchObject({ ok: false, brokenAt: 0 });
  });
});
