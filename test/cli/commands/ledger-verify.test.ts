import { describe, expect, it } from 'vitest';
import { seed, openTestStore, tamper, tempDbPath } from '../../evidence/helpers.js';
import { cli, fakeTty } from '../helpers.js';

async function ledger(n: number): Promise<string> {
  const path = tempDbPath();
  const store = await openTestStore(path);
  await seed(store, n);
  await store.close();
  return path;
}

describe('consentline ledger verify', () => {
  it('exits 0 on an intact chain and prints the head hash', async () => {
    const path = await ledger(12);
    const r = await cli(['ledger', 'verify', '--db', path]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ledger OK: 12 events verified \(seq 1\.\.12\)\nhead hash [0-9a-f]{64}\n/);
    expect(r.out).toContain('checkpoints: none signed yet; all 12 events are protected only by the hash chain');
  });

  it('takes the path from CONSENTLINE_DB and a range from --from/--to', async () => {
    const path = await ledger(12);
    const r = await cli(['ledger', 'verify', '--from', '3', '--to', '7'], { CONSENTLINE_DB: path });
    expect(r.code).toBe(0);
    expect(r.out).toContain('ledger OK: 5 events verified (seq 3..7)');
  });

  it('exits 1 and names the first broken link', async () => {
    const path = await ledger(12);
    tamper(path, (db) => db.prepare(`UPDATE events SET data = '{"promptId":"x"}' WHERE seq = 5`).run());
    const r = await cli(['ledger', 'verify', '--db', path]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('ledger BROKEN at seq 5: hash_mismatch');
    expect(r.out).toContain('4 events before it verified');
  });

  it('reports progress on stderr on a long run', async () => {
    const path = tempDbPath();
    const store = await openTestStore(path);
    await Promise.all(Array.from({ length: 25_000 }, (_, i) => store.append({ callId: null, kind: 'access.logged', data: { i } })));
    await store.close();
    let t = 0;
    const tty = fakeTty();
    const r = await cli(['ledger', 'verify', '--db', path], {}, () => (t += 2_000), tty);
    expect(r.code).toBe(0);
    expect(tty.text()).toMatch(/\rverifying: events 10,000\/25,000 \(40%\) {2}\d[\d,]*\/s {2}ETA \d+s/);
    expect(tty.text()).toMatch(/\rverifying: events 20,000\/25,000 \(80%\)/);
    expect(tty.text()).toMatch(/\rverifying: events 25,000\/25,000 \(100%\) {2}[\d,]+\/s {2}in \d+s *\n$/);
    expect(r.err).toBe('');
  });

  it('exits 2 on bad options and 1 when the database is missing (not found)', async () => {
    expect((await cli(['ledger', 'verify', '--from', 'x'])).code).toBe(2);
    expect((await cli(['ledger', 'verify', '--from', '5', '--to', '2'])).code).toBe(2);
    expect((await cli(['ledger', 'verify', '--nope'])).code).toBe(2);
    const r = await cli(['ledger', 'verify', '--db', '/nonexistent/ledger.sqlite']);
    expect(r.code).toBe(1);
    expect(r.err).toBe('error DB_NOT_FOUND: database file /nonexistent/ledger.sqlite does not exist');
  });
});
