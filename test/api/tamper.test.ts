import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { bearer, evidenceApp, seedSample, type EvidenceApp } from './evidence-helpers.js';

let t: EvidenceApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

/** A raw connection with the append-only triggers dropped, as an attacker with file access would. */
function tamper(path: string, fn: (db: Database.Database) => void): void {
  const db = new Database(path);
  try {
    db.exec('DROP TRIGGER IF EXISTS events_no_update; DROP TRIGGER IF EXISTS events_no_delete;');
    fn(db);
  } finally {
    db.close();
  }
}

async function setup() {
  t = await evidenceApp();
  const seeded = await seedSample(t.store);
  const auditor = bearer(await t.issue('auditor'));
  const verify = async (qs = '') => (await t!.app.inject({ url: `/ledger/verify${qs}`, headers: auditor })).json();
  const timeline = async (callId: string) => (await t!.app.inject({ url: `/calls/${callId}/timeline`, headers: auditor })).json();
  return { t, seeded, auditor, verify, timeline };
}

describe('tampering shows in the verification routes', () => {
  it('a changed event: hash_mismatch at it, in the ledger and in its call timeline', async () => {
    const { t, seeded, verify, timeline } = await setup();
    const target = seeded.events.get('c-02')![1]!;
    tamper(t.path, (db) => db.prepare(`UPDATE events SET data = json_set(data, '$.version', '2') WHERE seq = ?`).run(target.seq));
    expect(await verify()).toMatchObject({ ok: false, brokenAt: target.seq, reason: 'hash_mismatch', checked: target.seq - 1 });
    const tl = await timeline('c-02');
    expect(tl.verification).toEqual({ ok: false, firstBroken: target.seq });
    expect(tl.events.find((e: { seq: number }) => e.seq === target.seq).check).toBe('hash_mismatch');
    expect(tl.events.filter((e: { check: string }) => e.check !== 'ok')).toHaveLength(1);
    // A range that ends before the change still verifies.
    expect(await verify(`?fromSeq=1&toSeq=${target.seq - 1}`)).toMatchObject({ ok: true });
  });

  it('a deleted event: seq_gap at the next one; the next event of the call reports prev_missing', async () => {
    const { t, seeded, verify, timeline } = await setup();
    const [, gone, next] = seeded.events.get('c-03')!;
    tamper(t.path, (db) => db.prepare('DELETE FROM events WHERE seq = ?').run(gone!.seq));
    expect(await verify()).toMatchObject({ ok: false, brokenAt: gone!.seq + 1, reason: 'seq_gap' });
    expect(await verify(`?fromSeq=${gone!.seq + 1}`)).toMatchObject({ ok: false, brokenAt: gone!.seq + 1, reason: 'seq_gap' });
    const tl = await timeline('c-03');
    expect(tl.events.find((e: { seq: number }) => e.seq === next!.seq).check).toBe('prev_missing');
  });

  it('two events swapped: the first of them no longer links', async () => {
    const { t, seeded, verify, timeline } = await setup();
    const [a, b] = seeded.events.get('c-04')!.slice(1, 3);
    expect(b!.seq).toBe(a!.seq + 1);
    tamper(t.path, (db) => {
      db.prepare('UPDATE events SET seq = -1 WHERE seq = ?').run(a!.seq);
      db.prepare('UPDATE events SET seq = ? WHERE seq = ?').run(a!.seq, b!.seq);
      db.prepare('UPDATE events SET seq = ? WHERE seq = -1').run(b!.seq);
    });
    expect(await verify()).toMatchObject({ ok: false, brokenAt: a!.seq, reason: 'prev_hash_mismatch' });
    const tl = await timeline('c-04');
    expect(tl.verification.ok).toBe(false);
    expect(tl.verification.firstBroken).toBe(a!.seq);
  });

  it('a checkpoint is refused over a broken ledger', async () => {
    const { t, seeded } = await setup();
    const admin = bearer(await t.issue('admin'));
    const target = seeded.events.get('c-01')![0]!;
    tamper(t.path, (db) => db.prepare(`UPDATE events SET at = '2020-01-01T00:00:00.000Z' WHERE seq = ?`).run(target.seq));
    const r = await t.app.inject({ method: 'POST', url: '/checkpoints', headers: admin });
    expect(r.statusCode).toBe(409);
    expect(r.json()).toMatchObject({ error: 'ledger_broken' });
    expect(r.json().message).toContain(`seq ${target.seq}`);
  });

  it('events removed from the end after a checkpoint: the next checkpoint is refused', async () => {
    const { t } = await setup();
    expect((await t.checkpoints.create()).ok).toBe(true);
    const head = (t.db.prepare('SELECT max(seq) AS s FROM events').get() as { s: number }).s;
    tamper(t.path, (db) => db.prepare('DELETE FROM events WHERE seq = ?').run(head));
    expect(await t.checkpoints.create()).toMatchObject({ ok: false, reason: 'inconsistent_with_previous' });
  });
});

describe('verification under load', () => {
  it('at most two verifications run at once; the third is told to come back (503, Retry-After)', async () => {
    const { t, auditor } = await setup();
    const codes = await Promise.all([0, 1, 2].map(() => t.app.inject({ url: '/ledger/verify', headers: auditor })));
    expect(codes.map((r) => r.statusCode).sort()).toEqual([200, 200, 503]);
    const busy = codes.find((r) => r.statusCode === 503)!;
    expect(busy.headers['retry-after']).toBe('30');
    expect((await t.app.inject({ url: '/ledger/verify', headers: auditor })).statusCode).toBe(200);
  });
});
