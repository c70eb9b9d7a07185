import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PgTokenStore } from '../../src/api/tokens-pg.js';
import { SqliteTokenStore } from '../../src/api/tokens.js';
import type { CliIo, ProgressStream } from '../../src/cli/command.js';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { dispatch } from '../../src/cli/dispatch.js';
import { fakeTty } from '../cli/helpers.js';
import { openSqlite } from '../../src/db/sqlite.js';
import { openPgEvidenceStore } from '../../src/evidence/pg-store.js';
import { openSqliteEvidenceStore } from '../../src/evidence/sqlite-store.js';
import { createSubject } from '../../src/evidence/subject.js';
import { callOpen, steppingClock } from './evidence-store.contract.js';
import { testDatabase } from './pg-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'cl-migrate-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const targets = [testDatabase('cl_mig'), testDatabase('cl_mig'), testDatabase('cl_mig'), testDatabase('cl_mig')];

async function cli(argv: string[], progressStream?: ProgressStream) {
  const out: string[] = [];
  const err: string[] = [];
  let t = 0;
  // Each reading of the clock moves 2 s on, so every progress line is drawn.
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), env: {}, now: () => (t += 2_000), ...(progressStream ? { progressStream } : {}) };
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
    const tty = fakeTty();
    const r = await cli(['migrate-store', '--from', `sqlite:${src.path}`, '--to', to, '--batch', '250'], tty);
    expect(r.err).toMatch(/source OK, 1203 events/);
    expect(tty.text()).toMatch(/\rmigrate-store: events 500\/1,203 \(41%\) {2}[\d,]+\/s {2}ETA \d+s/);
    expect(tty.text()).toMatch(/\rmigrate-store: verifying target events 1,203\/1,203 \(100%\) {2}[\d,]+\/s {2}in \d+s *\n/);
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

  it('moves the work tables too: checkpoints, recordings, holds, deletions, erasures and sweep reports, value for value', async () => {
    const src = await install('work');
    const db = new Database(src.path);
    const h = 'a'.repeat(64);
    db.exec(`
      INSERT INTO checkpoints (id, tree_size, root_hash, origin, key_id, note, created_at) VALUES (1, 10, '${h}', 'o', 'k', 'n1', '2026-01-01T00:00:00.000Z'), (7, 1203, '${h}', 'o', 'k', 'n2', '2026-01-02T00:00:00.000Z'),
        (8, 1203, '${h}', 'o', 'k2', 'n2 by a second signer', '2026-01-02T00:00:01.000Z');
      INSERT INTO recordings (id, call_id, source, source_name, found_by, channel_uniqueid, linkedid, state, disposition, started_at, stopped_at, stop_reason, context_id,
        plaintext_bytes, plaintext_sha256, ciphertext_bytes, ciphertext_sha256, key_id, store, object_key, attempts, created_at, updated_at, spool_id)
      VALUES ('r1', 'c1', 'spool', 'c1-1700000000.1.wav', 'ami', '1700000000.1', '1700000000.1', 'done', 'keep', '2026-01-01T00:00:00.000Z', '2026-01-01T00:05:00.000Z', 'hangup', 'c1',
        4800044, '${h}', 4801234, '${'b'.repeat(64)}', 'local:k1', 's3', 'recordings/c1/r1.wav.enc', 1, '2026-01-01T00:00:00.000Z', '2026-01-01T00:06:00.000Z', 'asterisk-1'),
        ('r2', NULL, 'spool', 'x.wav', 'scan', NULL, NULL, 'spooled', NULL, '2026-01-01T00:00:00.000Z', NULL, NULL, 'r2', NULL, NULL, NULL, NULL, NULL, NULL, NULL, 3, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', NULL);
      INSERT INTO legal_holds (id, scope, target, reason, set_by, set_by_name, set_at, release_requested_by, release_requested_by_name, release_requested_at, release_requested_subject)
        VALUES ('h1', 'call', 'c1', 'litigation', 'tok1', 'dpo-a', '2026-01-03T00:00:00.000Z', 'tok1', 'dpo-a', '2026-01-04T00:00:00.000Z', 'person-a');
      INSERT INTO retention_deletions (recording_id, call_id, object_key, reason, state, run_id, attempts, detail, marked_at)
        VALUES ('r9', 'c9', 'recordings/c9/r9.wav.enc', 'retention', 'locked', 'run-1', 2, 'object lock until 2027', '2026-01-05T00:00:00.000Z');
      INSERT INTO retention_leases (name, holder, expires_at, acquired_at) VALUES ('sweep', 'old-host', 1, '2026-01-05T00:00:00.000Z');
      INSERT INTO erasure_requests (id, requested_by, requested_at, done_at, certificate) VALUES ('e1', 'dpo-b', '2026-01-06T00:00:00.000Z', '2026-01-06T00:00:01.000Z', '{"signed":true}');
      INSERT INTO retention_runs (id, started_at, finished_at, status, dry_run, report) VALUES ('run-7', '2026-01-07T03:00:00.000Z', '2026-01-07T03:00:09.000Z', 'done', 1, '{"runId":"run-7"}');
    `);
    const tables: Record<string, string> = { checkpoints: 'id', recordings: 'id', legal_holds: 'id', retention_deletions: 'recording_id', erasure_requests: 'id', retention_runs: 'id' };
    const asText = (row: Record<string, unknown>) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v === null ? null : String(v)]));
    const before = Object.fromEntries(
      Object.entries(tables).map(([t, key]) => [t, (db.prepare(`SELECT * FROM ${t} ORDER BY ${key}`).all() as Record<string, unknown>[]).map(asText)]),
    );
    // PostgreSQL keeps one checkpoint per tree size: the first of the two at 1203 moves.
    before.checkpoints = before.checkpoints!.filter((c) => c.id !== '8');
    db.close();
    const to = targets[3]!();
    const r = await cli(['migrate-store', '--from', `sqlite:${src.path}`, '--to', to]);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/recordings: 2 rows/);
    expect(r.err).toMatch(/checkpoints: 2 rows \(1 left out: a second checkpoint of a tree size already moved\)/);
    const c = new pg.Client({ connectionString: to });
    await c.connect();
    try {
      for (const [t, key] of Object.entries(tables)) {
        const rows = (await c.query(`SELECT * FROM ${t} ORDER BY ${key}`)).rows.map(asText);
        expect(rows, t).toEqual(before[t]);
      }
      // A lease belongs to the old install's process: not moved.
      expect((await c.query('SELECT count(*)::int AS n FROM retention_leases')).rows[0].n).toBe(0);
      // New checkpoints get ids after the copied ones.
      const next = await c.query(`INSERT INTO checkpoints (tree_size, root_hash, origin, key_id, note, created_at) VALUES (1204, '${h}', 'o', 'k', 'n3', 'now') RETURNING id`);
      expect(Number(next.rows[0].id)).toBe(8);
    } finally {
      await c.end();
    }
  });

  it('refuses to leave unported data behind unless told to; bad arguments are usage errors', async () => {
    const src = await install('unported');
    const db = new Database(src.path);
    // A table a later version might add before its PostgreSQL port.
    db.exec("CREATE TABLE operator_notes (id TEXT PRIMARY KEY, note TEXT); INSERT INTO operator_notes VALUES ('n1', 'x')");
    db.close();
    const to = targets[2]!();
    const refused = await cli(['migrate-store', '--from', `sqlite:${src.path}`, '--to', to]);
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(/not moved: operator_notes \(1 rows\) have no PostgreSQL migration yet/);
    const moved = await cli(['migrate-store', '--from', `sqlite:${src.path}`, '--to', to, '--skip-unported']);
    expect(moved.err).toMatch(/leaving behind .*operator_notes \(1 rows\)/);
    expect(moved.code).toBe(0);

    expect((await cli(['migrate-store', '--from', to, '--to', to])).code).toBe(2);
    expect((await cli(['migrate-store', '--from', `sqlite:${src.path}`, '--to', 'sqlite:/tmp/x'])).code).toBe(2);
    expect((await cli(['migrate-store', '--from', `sqlite:${src.path}`, '--to', to, '--batch', '0'])).code).toBe(2);
  });
});
