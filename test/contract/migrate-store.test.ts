import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PgTokenStore } from '../../src/api/tokens-pg.js';
import { SqliteTokenStore } from '../../src/api/tokens.js';
import type { CliIo } from '../../src/cli/command.js';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { dispatch } from '../../src/cli/dispatch.js';
import { openSqlite } from '../../src/db/sqlite.js';
import { openPgEvidenceStore } from '../../src/evidence/pg-store.js';
import { openSqliteEvidenceStore } from '../../src/evidence/sqlite-store.js';
import { createSubject } from '../../src/evidence/subject.js';
import { callOpen, steppingClock } from './evidence-store.contract.js';
import { testDatabase } from './pg-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'cl-migrate-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const targets = [testDatabase('cl_mig'), testDatabase('cl_mig'), testDatabase('cl_mig')];

async function cli(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  let t = 0;
  // Each reading of the clock moves 2 s on, so every progress line is printed.
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), env: {}, now: () => (t += 2_000) };
  const code = await dispatch(argv, io, COMMANDS);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** An embedded install: 1,203 events over 100 calls with projections, subjects and two tokens. */
async function install(name: string) {
  const path = join(dir, `${name}.sqlite`);
  const store = await openSqliteEvidenceStore({ path, clock: steppingClock(), writerThread: false });
  const subjects = [];
  for (let c = 0; c < 100; c++) {
    const subject = createSubject(`+4860012${String(c).padStart(4, '0')}`, 'pepper');
    subjects.push(subject);
    await store.append({ callId: `c${c}`, kind: 'call.started', data: { commitment: subject.commitment } }, { subject, callOpen: callOpen(`c${c}`) });
  }
  await Promise.all(Array.from({ length: 1_000 }, (_, i) => store.append({ callId: `c${i % 100}`, kind: 'dtmf.received', data: { digit: String(i % 10), note: 'ą"\\' } })));
  for (let c = 0; c < 100; c += 1) {
    await store.append({ callId: `c${c}`, kind: 'call.continued', data: {} }, { callPatch: { outcome: 'continued', recording: c % 2 ? 'yes' : 'no' } });
  }
  await store.append({ callId: null, kind: 'hold.set', data: { holdId: 'h1' } }, {});
  await store.append({ callId: 'c0', kind: 'erasure.done', data: {} });
  await store.append({ callId: 'c1', kind: 'call.ended', data: {} });
  await store.eraseSubject(subjects[0]!.commitment);
  const head = await store.head();
  await store.close();
  const { db } = openSqlite({ path });
  const tokens = new SqliteTokenStore(db);
  const live = await tokens.create('auditor-1', 'auditor');
  const revoked = await tokens.create('old', 'admin');
  await tokens.revoke(revoked.info.id);
  db.close();
  return { path, head: head!, subjects, live, revoked };
}

describe('consentline migrate-store', () => {
  it('moves events with their exact seq/hash/prev_hash, calls, subjects and tokens; verified before and after', async () => {
    const src = await install('full');
    const to = targets[0]!();
    const r = await cli(['migrate-store', '--from', `sqlite:${src.path}`, '--to', to, '--batch', '250']);
    expect(r.err).toMatch(/source OK, 1203 events/);
    expect(r.err).toMatch(/migrate-store: events 500\/1203/);
    expect(r.err).toMatch(/events: 1203 rows/);
    expect(r.out).toContain(`head hash ${src.head.hash}`);
    expect(r.code).toBe(0);

    const sqliteStore = await openSqliteEvidenceStore({ path: src.path, mustExist: true, writerThread: false });
    const pgStore = await openPgEvidenceStore({ url: to, max: 2 });
    try {
      const a = [];
      const b = [];
      for await (const e of sqliteStore.events()) a.push(e);
      for await (const e of pgStore.events()) b.push(e);
      expect(b).toEqual(a);
      expect(await pgStore.verify()).toEqual({ ok: true, checked: 1203, headHash: src.head.hash });
      for (const c of ['c0', 'c1', 'c57']) expect(await pgStore.getCall(c)).toEqual(await sqliteStore.getCall(c));
      expect(await pgStore.subjectByCommitment(src.subjects[0]!.commitment)).toBeNull();
      expect(await pgStore.subjectByCommitment(src.subjects[42]!.commitment)).toEqual(src.subjects[42]);
      const pool = new pg.Pool({ connectionString: to, max: 1 });
      try {
        const tokens = new PgTokenStore(pool);
        expect(await tokens.authenticate(src.live.token)).toEqual(src.live.info);
        expect(await tokens.authenticate(src.revoked.token)).toBeNull();
        expect((await tokens.list()).map((t) => t.id).sort()).toEqual([src.live.info.id, src.revoked.info.id].sort());
      } finally {
        await pool.end();
      }
      // The chain goes on where the embedded one stopped.
      expect(await pgStore.append({ callId: 'c2', kind: 'call.ended', data: {} })).toMatchObject({ seq: 1204, prevHash: src.head.hash });
    } finally {
      await sqliteStore.close();
      await pgStore.close();
    }

    const again = await cli(['migrate-store', '--from', `sqlite:${src.path}`, '--to', to]);
    expect(again.code).toBe(1);
    expect(again.out).toMatch(/is not empty \(events: 1204 rows\): nothing moved/);
  });

  it('refuses a source whose chain is broken, and writes nothing', async () => {
    const src = await install('broken');
    const db = new Database(src.path);
    db.exec('DROP TRIGGER events_no_delete');
    db.prepare('DELETE FROM events WHERE seq = 700').run();
    db.close();
    const to = targets[1]!();
    const r = await cli(['migrate-store', '--from', `sqlite:${src.path}`, '--to', to]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/source ledger BROKEN at seq 701 \(seq_gap\): nothing moved/);
    const c = new pg.Client({ connectionString: to });
    await c.connect();
    // Not even migrated: the target was never opened.
    expect((await c.query("SELECT to_regclass('events') AS t")).rows[0].t).toBeNull();
    await c.end();
  });

  it('refuses to leave unported data behind unless told to; bad arguments are usage errors', async () => {
    const src = await install('unported');
    const db = new Database(src.path);
    db.exec("INSERT INTO checkpoints (tree_size, root_hash, origin, key_id, note, created_at) VALUES (1, '" + 'a'.repeat(64) + "', 'o', 'k', 'n', 'now')");
    db.close();
    const to = targets[2]!();
    const refused = await cli(['migrate-store', '--from', `sqlite:${src.path}`, '--to', to]);
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(/not moved: checkpoints \(1 rows\) have no PostgreSQL migration yet/);
    const moved = await cli(['migrate-store', '--from', `sqlite:${src.path}`, '--to', to, '--skip-unported']);
    expect(moved.err).toMatch(/leaving behind .*checkpoints \(1 rows\)/);
    expect(moved.code).toBe(0);

    expect((await cli(['migrate-store', '--from', to, '--to', to])).code).toBe(2);
    expect((await cli(['migrate-store', '--from', `sqlite:${src.path}`, '--to', 'sqlite:/tmp/x'])).code).toBe(2);
    expect((await cli(['migrate-store', '--from', `sqlite:${src.path}`, '--to', to, '--batch', '0'])).code).toBe(2);
  });
});
