// The behaviours every evidence store must have, written once and run against each engine
// (test/contract/sqlite.test.ts, test/contract/postgres.test.ts), kysely-style. A feature
// that adds to the store (upload queue, retention, holds) adds a section here and lists it
// in CONTRACT_SECTIONS; both engines then run it.
import { appendFileSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ROLES, type Role } from '../../src/api/tokens.js';
import { DbError } from '../../src/db/errors.js';
import { loadMigrations } from '../../src/db/migrations.js';
import { GENESIS_HASH, hashEvent } from '../../src/evidence/chain.js';
import { EvidenceError } from '../../src/evidence/errors.js';
import type { CallOpen } from '../../src/evidence/store.js';
import { createSubject } from '../../src/evidence/subject.js';
import type { StoredEvent } from '../../src/evidence/types.js';
import type { Clock } from '../../src/shared/clock.js';
import type { ContractStore, Engine, Ledger } from './engine.js';

/** A clock that ticks 1 ms per reading from a fixed start. */
export function steppingClock(start = Date.parse('2026-03-01T09:00:00.000Z')): Clock {
  let t = start;
  return { now: () => t++ };
}

export function callOpen(callId: string, over: Partial<CallOpen> = {}): CallOpen {
  return {
    callId,
    startedAt: '2026-03-01T09:00:00.000Z',
    flowId: 'main',
    did: '+48221234567',
    legalBasis: 'art6-1-f',
    server: 'pbx-1',
    language: null,
    ...over,
  };
}

async function rejection(p: Promise<unknown>): Promise<EvidenceError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EvidenceError);
  return err as EvidenceError;
}

async function open(ledger: Ledger, maxBatch?: number): Promise<ContractStore> {
  const store = await ledger.open({ clock: steppingClock(), ...(maxBatch ? { maxBatch } : {}) });
  onTestFinished(() => store.close());
  return store;
}

/** A ledger of `n` prompt events across three calls, the store closed again. */
async function ledgerOf(engine: Engine, n: number): Promise<Ledger> {
  const ledger = await engine.ledger();
  const store = await ledger.open({ clock: steppingClock() });
  for (let i = 0; i < n; i++) await store.append({ callId: `call-${i % 3}`, kind: 'prompt.played', data: { promptId: 'notice', i } });
  await store.close();
  return ledger;
}

async function verifyFresh(ledger: Ledger, range?: { fromSeq?: number; toSeq?: number }) {
  const store = await ledger.open();
  try {
    return await store.verify(range);
  } finally {
    await store.close();
  }
}

function appendsAndReads(engine: Engine): void {
  describe('appends and reads', () => {
    it('chains appends from genesis and reads them back', async () => {
      const store = await open(await engine.ledger());
      const a = await store.append({ callId: 'c1', kind: 'call.started', data: { flowId: 'main' } });
      const b = await store.append({ callId: 'c1', kind: 'prompt.played', data: { promptId: 'notice', sha256: 'ab'.repeat(32) }, at: '2026-03-01T09:00:05.000Z' });
      expect(a).toMatchObject({ seq: 1, prevHash: GENESIS_HASH, at: '2026-03-01T09:00:00.000Z' });
      expect(a.hash).toBe(hashEvent(GENESIS_HASH, a));
      expect(b).toMatchObject({ seq: 2, prevHash: a.hash, at: '2026-03-01T09:00:05.000Z' });
      expect(await store.callEvents('c1')).toEqual([a, b]);
      expect(await store.head()).toEqual({ seq: 2, hash: b.hash });
      expect(await store.verify()).toEqual({ ok: true, checked: 2, headHash: b.hash });
    });

    it('an acknowledged append is there for a new connection; the chain continues after reopen', async () => {
      const ledger = await engine.ledger();
      const first = await ledger.open({ clock: steppingClock() });
      const a = await first.append({ callId: null, kind: 'hold.set', data: { holdId: 'h1' } });
      const other = await open(ledger);
      expect([...(await collect(other.events()))]).toEqual([a]);
      await first.close();

      const again = await open(ledger);
      const b = await again.append({ callId: 'c1', kind: 'call.started', data: {} });
      expect(b).toMatchObject({ seq: 2, prevHash: a.hash });
      expect(await again.verify()).toMatchObject({ ok: true, checked: 2 });
    });

    it('stores data in canonical form, exactly as hashed, and returns what was stored', async () => {
      const ledger = await engine.ledger();
      const store = await open(ledger);
      const ev = await store.append({ callId: 'c1', kind: 'dtmf.received', data: { z: 1, a: { y: [1, 'x', 1.5e300, 'ą"\\'], b: null } } });
      expect(ev.data).toEqual({ a: { b: null, y: [1, 'x', 1.5e300, 'ą"\\'] }, z: 1 });
      expect(await ledger.storedData(1)).toBe('{"a":{"b":null,"y":[1,"x",1.5e+300,"ą\\"\\\\"]},"z":1}');
      expect(await store.verify()).toMatchObject({ ok: true, checked: 1 });
    });

    it('rejects a malformed append alone, before it can fail a batch', async () => {
      const store = await open(await engine.ledger());
      const good = store.append({ callId: 'c1', kind: 'call.started', data: {} });
      const bad = [
        store.append({ callId: 'c1', kind: 'no.such.kind' as 'call.started', data: {} }),
        store.append({ callId: 'c1', kind: 'call.ended', data: { x: Number.NaN } }),
        store.append({ callId: 'c1', kind: 'call.ended', data: {}, at: '2026-03-01 09:00' }),
        store.append({ callId: null, kind: 'call.ended', data: {} }, { callPatch: { outcome: 'failed' } }),
      ];
      for (const p of bad) expect((await rejection(p)).code).toBe('EVIDENCE_INVALID_EVENT');
      expect(await good).toMatchObject({ seq: 1 });
    });

    it('a failed batch rejects every append in it and writes none of it', async () => {
      const store = await open(await engine.ledger());
      await store.append({ callId: 'c0', kind: 'call.started', data: {} });
      const subject = createSubject('+48600123456', 'pepper');
      // The same subject twice in one batch breaks the subjects primary key mid-transaction.
      const batch = [
        store.append({ callId: 'c1', kind: 'call.started', data: {} }, { subject }),
        store.append({ callId: 'c2', kind: 'call.started', data: {} }, { callOpen: callOpen('c2') }),
        store.append({ callId: 'c3', kind: 'call.started', data: {} }, { subject }),
      ];
      for (const p of batch) expect((await rejection(p)).code).toBe('EVIDENCE_APPEND_FAILED');
      expect(await store.head()).toMatchObject({ seq: 1 });
      expect(await store.getCall('c2')).toBeNull();
      expect(await store.subjectByCommitment(subject.commitment)).toBeNull();
      expect(store.writeStats()).toMatchObject({ failedBatches: 1 });
      expect(await store.append({ callId: 'c4', kind: 'call.started', data: {} })).toMatchObject({ seq: 2 });
      expect(await store.verify()).toMatchObject({ ok: true, checked: 2 });
    });

    it('close waits for queued appends; appends after close are refused', async () => {
      const store = await (await engine.ledger()).open({ clock: steppingClock() });
      const queued = Array.from({ length: 20 }, (_, i) => store.append({ callId: `c${i}`, kind: 'call.started', data: {} }));
      await store.close();
      expect((await Promise.all(queued)).map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect((await rejection(store.append({ callId: 'c', kind: 'call.started', data: {} }))).code).toBe('EVIDENCE_STORE_CLOSED');
    });

    it('streams events in pages over a range; a range verify anchors on the event before it', async () => {
      const store = await open(await engine.ledger());
      await Promise.all(Array.from({ length: 2_500 }, (_, i) => store.append({ callId: `c${i % 7}`, kind: 'dtmf.received', data: { i } })));
      const seqs: number[] = [];
      for await (const e of store.events({ fromSeq: 990, toSeq: 2_010 })) seqs.push(e.seq);
      expect(seqs).toEqual(Array.from({ length: 1_021 }, (_, i) => 990 + i));
      expect(await store.verify({ fromSeq: 1_200, toSeq: 2_400 })).toMatchObject({ ok: true, checked: 1_201 });
      expect(await store.verify({ fromSeq: 3_000 })).toMatchObject({ ok: true, checked: 0 });
      expect(await store.verify()).toMatchObject({ ok: true, checked: 2_500 });
    });
  });
}

function concurrency(engine: Engine): void {
  describe('concurrent appends', () => {
    it('two stores on one ledger, many writers each: one gapless chain holding every acknowledged event', async () => {
      const ledger = await engine.ledger();
      // Small batches so the two stores' transactions interleave many times.
      const stores = [await open(ledger, 8), await open(ledger, 8)];
      const acked: StoredEvent[] = [];
      const writer = async (s: number, w: number) => {
        for (let i = 0; i < 25; i++) acked.push(await stores[s]!.append({ callId: `s${s}-w${w}`, kind: 'dtmf.received', data: { i } }));
      };
      await Promise.all(stores.flatMap((_, s) => Array.from({ length: 8 }, (_, w) => writer(s, w))));

      expect(acked).toHaveLength(400);
      expect(new Set(acked.map((e) => e.seq)).size).toBe(400);
      const stored = await collect(stores[0]!.events());
      expect(stored.map((e) => e.seq)).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
      const bySeq = new Map(stored.map((e) => [e.seq, e]));
      for (const e of acked) expect(bySeq.get(e.seq)).toEqual(e);
      expect(await stores[1]!.verify()).toMatchObject({ ok: true, checked: 400, headHash: stored[399]!.hash });
      // (Whether the two stores' batches interleave is the engine's business: SQLite's busy
      // handler tends to let one store run ahead; PostgreSQL queues on the ledger lock.)
    });
  });
}

function effects(engine: Engine): void {
  describe('effects: call projection and subjects', () => {
    it('writes the call projection and the subject in the same transaction as the event', async () => {
      const store = await open(await engine.ledger());
      const subject = createSubject('+48600123456', 'pepper');
      await store.append({ callId: 'c1', kind: 'call.started', data: { commitment: subject.commitment } }, { subject, callOpen: callOpen('c1') });
      await store.append({ callId: 'c1', kind: 'language.chosen', data: { language: 'pl' } }, { callPatch: { language: 'pl' } });
      await store.append(
        { callId: 'c1', kind: 'call.continued', data: {} },
        { callPatch: { outcome: 'continued', recording: 'yes', marketing: 'none', endedAt: '2026-03-01T09:01:00.000Z' } },
      );
      expect(await store.getCall('c1')).toEqual({
        callId: 'c1',
        startedAt: '2026-03-01T09:00:00.000Z',
        flowId: 'main',
        did: '+48221234567',
        callerLookup: subject.lookupKey,
        callerMasked: '+48 *** *** *56',
        language: 'pl',
        legalBasis: 'art6-1-f',
        outcome: 'continued',
        recording: 'yes',
        marketing: 'none',
        endedAt: '2026-03-01T09:01:00.000Z',
        server: 'pbx-1',
      });
      expect(await store.subjectByCommitment(subject.commitment)).toEqual(subject);
      expect(await store.getCall('nope')).toBeNull();
      expect(await store.subjectByCommitment('0'.repeat(64))).toBeNull();
    });

    it('a subject after the call opened sets the caller; a patch touches only the fields it names', async () => {
      const store = await open(await engine.ledger());
      await store.append({ callId: 'c1', kind: 'call.started', data: {} }, { callOpen: callOpen('c1', { language: 'en' }) });
      const subject = createSubject('+48600123456', 'pepper');
      await store.append({ callId: 'c1', kind: 'dtmf.received', data: {} }, { subject, callPatch: { recording: 'no' } });
      await store.append({ callId: 'c1', kind: 'call.ended', data: {} }, { callPatch: { outcome: null, endedAt: '2026-03-01T09:02:00.000Z' } });
      expect(await store.getCall('c1')).toMatchObject({
        callerLookup: subject.lookupKey,
        callerMasked: subject.masked,
        language: 'en',
        recording: 'no',
        outcome: null,
        marketing: null,
        endedAt: '2026-03-01T09:02:00.000Z',
      });
    });

    it('callEvents gives one call in seq order, across batches and other calls', async () => {
      const store = await open(await engine.ledger());
      const all = await Promise.all(Array.from({ length: 30 }, (_, i) => store.append({ callId: `c${i % 3}`, kind: 'dtmf.received', data: { i } })));
      await store.append({ callId: null, kind: 'hold.set', data: {} });
      expect(await store.callEvents('c1')).toEqual(all.filter((e) => e.callId === 'c1'));
      expect(await store.callEvents('none')).toEqual([]);
    });

    it('eraseSubject removes the number, salt and caller keys; the chain still verifies', async () => {
      const ledger = await engine.ledger();
      const store = await open(ledger);
      const subject = createSubject('+48600123456', 'pepper');
      const started = await store.append(
        { callId: 'c1', kind: 'call.started', data: { commitment: subject.commitment } },
        { subject, callOpen: callOpen('c1') },
      );
      await store.append({ callId: 'c1', kind: 'call.continued', data: {} }, { callPatch: { outcome: 'continued' } });
      await store.append({ callId: 'c1', kind: 'erasure.done', data: { commitment: subject.commitment } });

      expect(await store.eraseSubject(subject.commitment)).toBe(true);
      expect(await store.eraseSubject(subject.commitment)).toBe(false);
      expect(await store.subjectByCommitment(subject.commitment)).toBeNull();
      expect(await store.getCall('c1')).toMatchObject({ callerLookup: null, callerMasked: null, outcome: 'continued' });
      expect((await store.callEvents('c1'))[0]).toEqual(started);
      expect(await store.verify()).toMatchObject({ ok: true, checked: 3 });
      expect(await ledger.subjectRows()).toBe(0);
    });
  });
}

function tampering(engine: Engine): void {
  describe('tamper detection', () => {
    it('the append-only triggers refuse casual edits', async () => {
      const ledger = await ledgerOf(engine, 3);
      const errors = await ledger.tamper.casualEdits();
      expect(errors).toHaveLength(2);
      for (const e of errors) expect(e).toMatch(/append-only/);
      expect(await verifyFresh(ledger)).toMatchObject({ ok: true, checked: 3 });
    });

    it('changed data → hash_mismatch at that event', async () => {
      const ledger = await ledgerOf(engine, 10);
      await ledger.tamper.setData(6, '{"i":5,"promptId":"other"}');
      expect(await verifyFresh(ledger)).toEqual({ ok: false, checked: 5, brokenAt: 6, reason: 'hash_mismatch' });
    });

    it('a changed time or call id → hash_mismatch', async () => {
      const ledger = await ledgerOf(engine, 10);
      await ledger.tamper.setAt(3, '2020-01-01T00:00:00.000Z');
      expect(await verifyFresh(ledger)).toMatchObject({ brokenAt: 3, reason: 'hash_mismatch' });
      const ledger2 = await ledgerOf(engine, 10);
      await ledger2.tamper.setCallId(9, 'someone-else');
      expect(await verifyFresh(ledger2)).toMatchObject({ brokenAt: 9, reason: 'hash_mismatch' });
    });

    it('a deleted event → seq_gap at the event after it; a range verify sees it at its edge', async () => {
      const ledger = await ledgerOf(engine, 10);
      await ledger.tamper.delete(4);
      expect(await verifyFresh(ledger)).toEqual({ ok: false, checked: 3, brokenAt: 5, reason: 'seq_gap' });
      expect(await verifyFresh(ledger, { fromSeq: 6 })).toMatchObject({ ok: true, checked: 5 });
      expect(await verifyFresh(ledger, { fromSeq: 5 })).toMatchObject({ ok: false, brokenAt: 5, reason: 'seq_gap' });
      expect(await verifyFresh(ledger, { fromSeq: 1, toSeq: 3 })).toMatchObject({ ok: true, checked: 3 });
    });

    it('a deleted first event → seq_gap at seq 2', async () => {
      const ledger = await ledgerOf(engine, 5);
      await ledger.tamper.delete(1);
      expect(await verifyFresh(ledger)).toEqual({ ok: false, checked: 0, brokenAt: 2, reason: 'seq_gap' });
    });

    it('two events reordered (seq swapped) → prev_hash_mismatch at the first of them', async () => {
      const ledger = await ledgerOf(engine, 10);
      await ledger.tamper.swap(7, 8);
      expect(await verifyFresh(ledger)).toEqual({ ok: false, checked: 6, brokenAt: 7, reason: 'prev_hash_mismatch' });
    });

    it('a row slipped in below seq 1 → broken at seq 0', async () => {
      const ledger = await ledgerOf(engine, 3);
      await ledger.tamper.insertBelowOne();
      expect(await verifyFresh(ledger)).toMatchObject({ ok: false, brokenAt: 0 });
    });
  });
}

function migrations(engine: Engine): void {
  describe('migrations', () => {
    function migrationsCopy(): string {
      const dir = mkdtempSync(join(tmpdir(), 'consentline-contract-mig-'));
      onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
      cpSync(engine.migrationsDir, dir, { recursive: true });
      return dir;
    }

    it('applies every file once, even when two instances start together', async () => {
      const dir = migrationsCopy();
      const files = loadMigrations(dir).map((f) => f.name);
      const target = await engine.migrationTarget();
      const [a, b] = await Promise.all([target.migrate(dir), target.migrate(dir)]);
      expect([a.applied, b.applied].sort((x, y) => y.length - x.length)).toEqual([files, []]);
      expect(await target.migrate(dir)).toEqual({ applied: [], alreadyApplied: files.length });
    });

    it('stops with MIGRATION_CHECKSUM_MISMATCH naming the file when an applied migration changed', async () => {
      const dir = migrationsCopy();
      const target = await engine.migrationTarget();
      await target.migrate(dir);
      appendFileSync(join(dir, '0001_ledger.sql'), '\n-- an innocent-looking edit\n');
      const err = await target.migrate(dir).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(DbError);
      expect((err as DbError).code).toBe('MIGRATION_CHECKSUM_MISMATCH');
      expect((err as DbError).message).toContain('0001_ledger.sql');
      expect((err as DbError).message).toContain('new migration');
    });

    it('rolls back every pending migration when one fails', async () => {
      const dir = migrationsCopy();
      writeFileSync(join(dir, '0099_broken.sql'), 'CREATE TABLE nope (;');
      const target = await engine.migrationTarget();
      const err = await target.migrate(dir).then(
        () => null,
        (e: unknown) => e,
      );
      expect((err as DbError).code).toBe('MIGRATION_FAILED');
      expect((err as DbError).message).toContain('0099_broken.sql');
      expect(await target.tables(['events', 'schema_migrations'])).toEqual([]);
    });
  });
}

function tokens(engine: Engine): void {
  describe('API tokens', () => {
    it('create, authenticate, list, revoke', async () => {
      const t = await (await engine.ledger()).tokens();
      const a = await t.create('alice', 'auditor');
      const d = await t.create('dana', 'dpo');
      expect(a.token).toMatch(/^clt_[A-Za-z0-9_-]{43}$/);
      expect(await t.authenticate(a.token)).toEqual(a.info);
      expect(await t.authenticate(d.token)).toMatchObject({ name: 'dana', role: 'dpo', revokedAt: null });
      expect(await t.authenticate('clt_nope')).toBeNull();
      expect(await t.authenticate(a.token.slice(4))).toBeNull();
      expect((await t.list()).map((i) => i.id).sort()).toEqual([a.info.id, d.info.id].sort());

      expect(await t.revoke(a.info.id)).toBe(true);
      expect(await t.revoke(a.info.id)).toBe(false);
      expect(await t.revoke('no-such-id')).toBe(false);
      expect(await t.authenticate(a.token)).toBeNull();
      expect(await t.authenticate(d.token)).not.toBeNull();
      const listed = await t.list();
      expect(listed.find((i) => i.id === a.info.id)?.revokedAt).toMatch(/^\d{4}-/);
    });

    it('each token names the person it was issued to; by default its name', async () => {
      const t = await (await engine.ledger()).tokens();
      const laptop = await t.create('dana laptop', 'dpo', 'dana@example.org');
      const plain = await t.create('monitoring', 'auditor');
      expect(await t.authenticate(laptop.token)).toMatchObject({ name: 'dana laptop', subject: 'dana@example.org' });
      expect(await t.authenticate(plain.token)).toMatchObject({ subject: 'monitoring' });
      expect((await t.list()).map((i) => i.subject).sort()).toEqual(['dana@example.org', 'monitoring']);
    });

    it('tokens issued before migration 0045 get their name as their subject', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'consentline-contract-mig-'));
      onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
      cpSync(engine.migrationsDir, dir, { recursive: true });
      const later = loadMigrations(dir).filter((f) => f.id >= '0045');
      for (const f of later) rmSync(join(dir, f.name));
      const target = await engine.migrationTarget();
      await target.migrate(dir);
      await target.query(
        "INSERT INTO api_tokens (id, name, role, token_hash, created_at) VALUES ('t1', 'dana', 'dpo', 'h1', '2026-01-01T00:00:00Z'), ('t2', 'eve', 'dpo', 'h2', '2026-01-01T00:00:00Z')",
      );
      cpSync(engine.migrationsDir, dir, { recursive: true });
      expect((await target.migrate(dir)).applied).toEqual(later.map((f) => f.name));
      expect(await target.query('SELECT id, subject FROM api_tokens ORDER BY id')).toEqual([
        { id: 't1', subject: 'dana' },
        { id: 't2', subject: 'eve' },
      ]);
    });

    it('every role can be issued (agent-desktop: migration 0060), tokens from before it keep their subject, and an unknown role is refused', async () => {
      const t = await (await engine.ledger()).tokens();
      for (const role of ROLES) expect((await t.create(`t-${role}`, role, `${role}@example.org`)).info.role).toBe(role);
      const desk = (await t.list()).find((i) => i.role === 'agent-desktop');
      expect(desk).toMatchObject({ subject: 'agent-desktop@example.org' });
      await expect(t.create('bogus', 'superuser' as Role)).rejects.toThrow();

      const dir = mkdtempSync(join(tmpdir(), 'consentline-contract-mig-'));
      onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
      cpSync(engine.migrationsDir, dir, { recursive: true });
      const later = loadMigrations(dir).filter((f) => f.id >= '0060');
      for (const f of later) rmSync(join(dir, f.name));
      const target = await engine.migrationTarget();
      await target.migrate(dir);
      await target.query("INSERT INTO api_tokens (id, name, role, token_hash, created_at, subject) VALUES ('t1', 'desk', 'dialer', 'h1', '2026-01-01T00:00:00Z', 'dana')");
      cpSync(engine.migrationsDir, dir, { recursive: true });
      expect((await target.migrate(dir)).applied).toEqual(later.map((f) => f.name));
      expect(await target.query('SELECT id, role, subject FROM api_tokens')).toEqual([{ id: 't1', role: 'dialer', subject: 'dana' }]);
      await target.query("INSERT INTO api_tokens (id, name, role, token_hash, created_at, subject) VALUES ('t2', 'desk 2', 'agent-desktop', 'h2', '2026-01-01T00:00:00Z', 'eve')");
    });
  });
}

/** The sections of the contract; a new store feature appends its own. */
export const CONTRACT_SECTIONS: readonly ((engine: Engine) => void)[] = [appendsAndReads, concurrency, effects, tampering, migrations, tokens];

/** Runs the whole contract against `engine`. */
export function evidenceStoreContract(engine: Engine): void {
  describe(`evidence store contract: ${engine.name}`, () => {
    for (const section of CONTRACT_SECTIONS) section(engine);
  });
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
