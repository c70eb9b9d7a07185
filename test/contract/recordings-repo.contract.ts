// What every recordings repository must do, written once and run against each engine
// (test/contract/recordings-sqlite.test.ts, recordings-postgres.test.ts): idempotent inserts,
// the state steps the pipeline takes, claims that two workers (or two instances) never share,
// queue figures, and the ledger look-up that keeps a retried step from writing an event twice.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { EvidenceStore } from '../../src/evidence/store.js';
import { LostClaimError, type Claimant, type NewRecording, type RecordingRepository } from '../../src/recordings/pipeline/repo.js';

/** One migrated database (SQLite file or PostgreSQL schema). */
export interface RecordingsFixture {
  /** The ledger on the same database, for hasEvent. */
  readonly evidence: EvidenceStore;
  /** A repository on a connection (pool) of its own, like another instance's; closed after the test. */
  repo(): Promise<RecordingRepository>;
}

export interface RecordingsEngine {
  readonly name: 'sqlite' | 'postgres';
  fixture(): Promise<RecordingsFixture>;
}

const T0 = Date.parse('2026-03-01T09:00:00.000Z');
const at = (sec: number): string => new Date(T0 + sec * 1000).toISOString();

function rec(over: Partial<NewRecording> = {}): NewRecording {
  const id = over.id ?? randomUUID();
  const callId = over.callId === undefined ? randomUUID() : over.callId;
  return {
    id,
    callId,
    source: 'spool',
    sourceName: `consentline-${id}-1700000000.1.wav`,
    foundBy: 'ami',
    uniqueid: '1700000000.1',
    linkedid: '1700000000.0',
    state: 'spooled',
    startedAt: at(0),
    stoppedAt: at(1),
    stopReason: 'hangup',
    contextId: callId ?? id,
    spoolId: 'spool-1',
    ...over,
  };
}

/** A worker on the spool the rows of {@link rec} are on, unless told another. */
const by = (worker: string, spoolId = 'spool-1'): Claimant => ({ worker, spoolId });

/** Inserts `n` spooled rows created one second apart (the oldest first), returns their ids. */
async function spooled(repo: RecordingRepository, n: number, from = 0): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await repo.insert(rec(), at(from + i))).row.id);
  return ids;
}

/** Claims until nothing is due, returns the ids claimed. */
async function drain(repo: RecordingRepository, claimant: Claimant, now: string, until: string): Promise<string[]> {
  const got: string[] = [];
  for (let row = await repo.claimNext(claimant, now, until); row; row = await repo.claimNext(claimant, now, until)) got.push(row.id);
  return got;
}

export function recordingsRepoContract(engine: RecordingsEngine): void {
  describe(`recordings repository contract: ${engine.name}`, () => {
    it('insert stores the row as given; the same live file again returns it (created: false); a finished one makes room', async () => {
      const f = await engine.fixture();
      const repo = await f.repo();
      const r = rec({ state: 'captured', stoppedAt: null, stopReason: null });
      const first = await repo.insert(r, at(5));
      expect(first.created).toBe(true);
      expect(first.row).toMatchObject({
        id: r.id,
        call_id: r.callId,
        source: 'spool',
        source_name: r.sourceName,
        found_by: 'ami',
        channel_uniqueid: '1700000000.1',
        linkedid: '1700000000.0',
        state: 'captured',
        disposition: null,
        started_at: at(0),
        stopped_at: null,
        context_id: r.callId,
        attempts: 0,
        next_attempt_at: null,
        claimed_by: null,
        created_at: at(5),
        updated_at: at(5),
        spool_id: 'spool-1',
      });
      const again = await repo.insert({ ...rec(), sourceName: r.sourceName }, at(6));
      expect(again).toEqual({ row: first.row, created: false });
      expect(await repo.get(r.id)).toEqual(first.row);
      expect(await repo.get(randomUUID())).toBeNull();

      // A spooled row is due at once.
      const s = await repo.insert(rec(), at(7));
      expect(s.row).toMatchObject({ state: 'spooled', stopped_at: at(1), stop_reason: 'hangup', next_attempt_at: at(7) });

      await repo.update(r.id, { state: 'done' }, null);
      const next = await repo.insert({ ...rec(), sourceName: r.sourceName }, at(8));
      expect(next.created).toBe(true);
      expect(next.row.id).not.toBe(r.id);
    });

    it('the same file inserted by several instances at once: one row created, every caller gets it', async () => {
      const f = await engine.fixture();
      const repos = await Promise.all([f.repo(), f.repo(), f.repo(), f.repo()]);
      const name = `consentline-${randomUUID()}-1700000001.1.wav`;
      const results = await Promise.all(
        Array.from({ length: 16 }, (_, i) => repos[i % repos.length]!.insert({ ...rec(), sourceName: name }, at(1))),
      );
      expect(results.filter((x) => x.created)).toHaveLength(1);
      expect(new Set(results.map((x) => x.row.id)).size).toBe(1);
      expect(await repos[0]!.countByState()).toEqual({ spooled: 1 });
    });

    it('liveBySource, hasFailed and hasFinished: live rows only; failed and stored rows are remembered', async () => {
      const f = await engine.fixture();
      const repo = await f.repo();
      const r = rec();
      expect(await repo.liveBySource('spool', r.sourceName)).toBeNull();
      await repo.insert(r, at(1));
      expect((await repo.liveBySource('spool', r.sourceName))?.id).toBe(r.id);
      expect(await repo.liveBySource('ari', r.sourceName)).toBeNull();
      expect(await repo.hasFailed('spool', r.sourceName)).toBe(false);
      await repo.update(r.id, { state: 'failed', last_error: 'SOURCE_MISSING' }, null);
      expect(await repo.liveBySource('spool', r.sourceName)).toBeNull();
      expect(await repo.hasFailed('spool', r.sourceName)).toBe(true);
      expect(await repo.hasFailed('ari', r.sourceName)).toBe(false);
      expect(await repo.hasFinished('spool', r.sourceName)).toBe(false);

      const stored = rec();
      await repo.insert(stored, at(2));
      expect(await repo.hasFinished('spool', stored.sourceName)).toBe(false);
      await repo.update(stored.id, { state: 'verified' }, null);
      expect(await repo.hasFinished('spool', stored.sourceName)).toBe(false);
      await repo.update(stored.id, { state: 'done' }, null);
      expect(await repo.hasFinished('spool', stored.sourceName)).toBe(true);
      await repo.update(stored.id, { state: 'deleted' }, null);
      expect(await repo.hasFinished('spool', stored.sourceName)).toBe(true);
      expect(await repo.hasFinished('ari', stored.sourceName)).toBe(false);
      expect(await repo.hasFailed('spool', stored.sourceName)).toBe(false);
    });

    it('markSpooled closes a captured row only, claimed for its announcement; not while another worker holds it', async () => {
      const f = await engine.fixture();
      const repo = await f.repo();
      const r = rec({ state: 'captured', stoppedAt: null, stopReason: null });
      await repo.insert(r, at(1));
      const row = await repo.markSpooled(r.id, at(60), 'hangup', at(61), { worker: 'w1', until: at(120) });
      expect(row).toMatchObject({
        id: r.id,
        state: 'spooled',
        stopped_at: at(60),
        stop_reason: 'hangup',
        next_attempt_at: at(61),
        updated_at: at(61),
        claimed_by: 'w1',
        claimed_until: at(120),
      });
      expect(await repo.markSpooled(r.id, at(70), 'scan', at(71), { worker: 'w1', until: at(130) })).toBeNull();
      expect((await repo.get(r.id))?.stop_reason).toBe('hangup');

      // A captured row inserted under w1's claim (its recording.started being written).
      const c = rec({ state: 'captured', stoppedAt: null, stopReason: null, claim: { worker: 'w1', until: at(100) } });
      expect((await repo.insert(c, at(2))).row).toMatchObject({ claimed_by: 'w1', claimed_until: at(100) });
      expect(await repo.markSpooled(c.id, at(50), 'scan', at(50), { worker: 'w2', until: at(110) })).toBeNull();
      expect((await repo.markSpooled(c.id, at(51), 'hangup', at(51), { worker: 'w1', until: at(111) }))?.claimed_until).toBe(at(111));
      const d = rec({ state: 'captured', stoppedAt: null, stopReason: null, claim: { worker: 'w1', until: at(100) } });
      await repo.insert(d, at(3));
      expect((await repo.markSpooled(d.id, at(101), 'scan', at(101), { worker: 'w2', until: at(160) }))?.claimed_by).toBe('w2');
    });

    it('a row inserted under a claim is taken by no worker until the claim is released or runs out', async () => {
      const f = await engine.fixture();
      const repo = await f.repo();
      const held = rec({ claim: { worker: 'a', until: at(60) } });
      await repo.insert(held, at(1));
      expect(await repo.claimNext(by('a'), at(2), at(100))).toBeNull();
      expect(await repo.claimNext(by('b'), at(2), at(100))).toBeNull();
      await repo.releaseClaim(held.id, 'a');
      expect((await repo.claimNext(by('b'), at(3), at(100)))?.id).toBe(held.id);
      const lapsed = rec({ claim: { worker: 'a', until: at(60) } });
      await repo.insert(lapsed, at(4));
      expect(await repo.claimNext(by('b'), at(59), at(100))).toBeNull();
      expect((await repo.claimNext(by('b'), at(61), at(100)))?.id).toBe(lapsed.id);
    });

    it("update: unguarded, or guarded by the worker's claim (LostClaimError without it); large sizes stay numbers", async () => {
      const f = await engine.fixture();
      const repo = await f.repo();
      const [id] = await spooled(repo, 1);
      const patched = await repo.update(id!, { disposition: 'keep', object_key: 'recordings/x', plaintext_bytes: 3_000_000_000, ciphertext_bytes: 3_000_001_234 }, null);
      expect(patched).toMatchObject({ disposition: 'keep', object_key: 'recordings/x', plaintext_bytes: 3_000_000_000, ciphertext_bytes: 3_000_001_234 });
      expect(await repo.update(id!, {}, null)).toEqual(patched);
      // Keys outside the patchable set (here the primary key) are ignored, not written.
      await repo.update(id!, { attempts: 2, ...({ id: 'other' } as object) }, null);
      expect((await repo.get(id!))?.attempts).toBe(2);

      await expect(repo.update(id!, { state: 'encrypted' }, 'w1')).rejects.toBeInstanceOf(LostClaimError);
      expect((await repo.get(id!))?.state).toBe('spooled');
      expect((await repo.claimNext(by('w1'), at(100), at(160)))?.id).toBe(id);
      await expect(repo.update(id!, { state: 'encrypted' }, 'w2')).rejects.toMatchObject({ code: 'CLAIM_LOST' });
      expect(await repo.update(id!, { state: 'encrypted', updated_at: at(101) }, 'w1')).toMatchObject({ state: 'encrypted', updated_at: at(101), claimed_by: 'w1' });
      await expect(repo.update(randomUUID(), { state: 'done' }, null)).rejects.toBeInstanceOf(LostClaimError);
    });

    it('claimNext: due rows oldest first; captured, not yet due, done and failed rows are not claimed; a quarantined one past its date is', async () => {
      const f = await engine.fixture();
      const repo = await f.repo();
      const [a, b, c] = await spooled(repo, 3);
      await repo.insert(rec({ state: 'captured', stoppedAt: null }), at(0));
      const later = (await repo.insert(rec(), at(3))).row.id;
      await repo.update(later, { next_attempt_at: at(500) }, null);
      // Backoff pushes b behind c.
      await repo.update(b!, { state: 'encrypted', next_attempt_at: at(50) }, null);
      const done = (await repo.insert(rec(), at(4))).row.id;
      await repo.update(done, { state: 'done', next_attempt_at: null }, null);
      const failed = (await repo.insert(rec(), at(5))).row.id;
      await repo.update(failed, { state: 'failed' }, null);
      const expiring = (await repo.insert(rec(), at(6))).row.id;
      await repo.update(expiring, { state: 'done', disposition: 'quarantine', delete_after: at(200), next_attempt_at: at(200) }, null);

      expect(await drain(repo, by('w'), at(100), at(5000))).toEqual([a, c, b]);
      expect(await repo.get(a!)).toMatchObject({ claimed_by: 'w', claimed_until: at(5000), updated_at: at(100) });
      expect(await drain(repo, by('w2'), at(300), at(5000))).toEqual([expiring]);
      expect(await drain(repo, by('w3'), at(600), at(660))).toEqual([later]);
    });

    it('claims: held until they expire, extended and released by their holder only, all freed by releaseAllOf', async () => {
      const f = await engine.fixture();
      const repo = await f.repo();
      const [x, y] = await spooled(repo, 2);
      expect((await repo.claimNext(by('w1'), at(10), at(70)))?.id).toBe(x);
      expect((await repo.claimNext(by('w2'), at(11), at(71)))?.id).toBe(y);
      expect(await repo.claimNext(by('w3'), at(12), at(72))).toBeNull();

      expect(await repo.extendClaim(x!, 'w2', at(500))).toBe(false);
      expect(await repo.extendClaim(x!, 'w1', at(130))).toBe(true);
      expect((await repo.get(x!))?.claimed_until).toBe(at(130));
      // y's claim ran out at 71: another worker takes it over; x's extended one holds.
      expect((await repo.claimNext(by('w3'), at(100), at(160)))?.id).toBe(y);
      expect((await repo.get(y!))?.claimed_by).toBe('w3');
      expect(await repo.extendClaim(y!, 'w2', at(200))).toBe(false);
      await expect(repo.update(y!, { attempts: 1 }, 'w2')).rejects.toBeInstanceOf(LostClaimError);

      await repo.releaseClaim(x!, 'w2');
      expect((await repo.get(x!))?.claimed_by).toBe('w1');
      await repo.releaseClaim(x!, 'w1');
      expect(await repo.get(x!)).toMatchObject({ claimed_by: null, claimed_until: null });
      expect((await repo.claimNext(by('w1'), at(101), at(161)))?.id).toBe(x);

      expect(await repo.releaseAllOf('w1')).toBe(1);
      expect(await repo.releaseAllOf('w1')).toBe(0);
      expect(await repo.get(x!)).toMatchObject({ claimed_by: null, claimed_until: null });
      expect((await repo.get(y!))?.claimed_by).toBe('w3');
    });

    it('many workers on separate connections claim at once: every due row exactly once', async () => {
      const f = await engine.fixture();
      const seed = await f.repo();
      const ids = await spooled(seed, 60);
      const repos = await Promise.all(Array.from({ length: 4 }, () => f.repo()));
      const workers = Array.from({ length: 12 }, (_, i) => ({ repo: repos[i % repos.length]!, name: `w${i}` }));
      const claims = await Promise.all(workers.map((w) => drain(w.repo, by(w.name), at(100), at(400))));
      const all = claims.flat();
      expect(all).toHaveLength(ids.length);
      expect(new Set(all)).toEqual(new Set(ids));
      for (const [i, got] of claims.entries()) {
        for (const id of got) expect((await seed.get(id))?.claimed_by).toBe(workers[i]!.name);
      }
    });

    it("spools: a worker never claims another spool's rows, even due, unclaimed or with a lapsed claim; rows of no spool go to anyone", async () => {
      const f = await engine.fixture();
      const repo = await f.repo();
      const mine = (await repo.insert(rec(), at(1))).row.id;
      const theirs = (await repo.insert(rec({ spoolId: 'spool-2' }), at(0))).row.id;
      const lapsed = (await repo.insert(rec({ spoolId: 'spool-2', claim: { worker: 'b1', until: at(50) } }), at(2))).row.id;
      const expiring = (await repo.insert(rec({ spoolId: 'spool-2' }), at(3))).row.id;
      await repo.update(expiring, { state: 'done', disposition: 'quarantine', delete_after: at(60), next_attempt_at: at(60) }, null);
      const old = (await repo.insert(rec({ spoolId: null }), at(4))).row.id;
      const unset = rec();
      delete (unset as { spoolId?: string | null }).spoolId;
      const tool = (await repo.insert(unset, at(5))).row;
      expect(tool.spool_id).toBeNull();
      expect((await repo.get(theirs))?.spool_id).toBe('spool-2');

      // Oldest due first, but only of spool-1 or of none: spool-2's older rows are passed over.
      expect(await drain(repo, by('a1'), at(100), at(400))).toEqual([mine, old, tool.id]);
      for (const id of [theirs, lapsed, expiring]) expect(await repo.get(id)).toMatchObject({ spool_id: 'spool-2', claimed_by: id === lapsed ? 'b1' : null });
      expect(await repo.claimNext(by('a2', 'spool-3'), at(100), at(400))).toBeNull();
      expect(await drain(repo, by('b2', 'spool-2'), at(100), at(400))).toEqual([theirs, lapsed, expiring]);

      // No spool, claimed by another spool's worker and let lapse: the next claimant may be of any spool.
      const free = (await repo.insert(rec({ spoolId: null }), at(6))).row.id;
      expect((await repo.claimNext(by('b2', 'spool-2'), at(110), at(120)))?.id).toBe(free);
      expect(await repo.claimNext(by('a1'), at(115), at(400))).toBeNull();
      expect((await repo.claimNext(by('a1'), at(121), at(400)))?.id).toBe(free);
    });

    it('adoptSpool puts a row of no spool on the given one, once; a row of a spool keeps it', async () => {
      const f = await engine.fixture();
      const repo = await f.repo();
      const old = (await repo.insert(rec({ spoolId: null }), at(1))).row.id;
      const other = (await repo.insert(rec({ spoolId: 'spool-2' }), at(2))).row.id;
      expect(await repo.adoptSpool(old, 'spool-1')).toBe(true);
      expect(await repo.adoptSpool(old, 'spool-2')).toBe(false);
      expect(await repo.adoptSpool(other, 'spool-1')).toBe(false);
      expect((await repo.get(old))?.spool_id).toBe('spool-1');
      expect((await repo.get(other))?.spool_id).toBe('spool-2');
      expect(await drain(repo, by('b1', 'spool-2'), at(100), at(400))).toEqual([other]);
    });

    it('workers of two spools on separate connections claim at once: each row once, by a worker of its spool (any for no spool)', async () => {
      const f = await engine.fixture();
      const seed = await f.repo();
      const spoolOf = new Map<string, string | null>();
      for (let i = 0; i < 60; i++) {
        const spoolId = i % 3 === 0 ? 'spool-1' : i % 3 === 1 ? 'spool-2' : i % 6 === 2 ? null : 'spool-1';
        spoolOf.set((await seed.insert(rec({ spoolId }), at(i))).row.id, spoolId);
      }
      const repos = await Promise.all(Array.from({ length: 4 }, () => f.repo()));
      // Same spoolId, several instances (shared storage): they share that spool's work.
      const workers = Array.from({ length: 12 }, (_, i) => ({ repo: repos[i % repos.length]!, who: by(`w${i}`, i % 2 ? 'spool-2' : 'spool-1') }));
      const claims = await Promise.all(workers.map((w) => drain(w.repo, w.who, at(100), at(400))));
      expect(claims.flat()).toHaveLength(spoolOf.size);
      expect(new Set(claims.flat())).toEqual(new Set(spoolOf.keys()));
      for (const [i, got] of claims.entries()) {
        for (const id of got) expect([null, workers[i]!.who.spoolId]).toContain(spoolOf.get(id));
      }
      const perInstance = (spool: string) => new Set(workers.flatMap((w, i) => (w.who.spoolId === spool && claims[i]!.length > 0 ? [w.repo] : [])));
      expect(perInstance('spool-1').size).toBeGreaterThan(1);
    });

    it('queueStats, countByState, ofCall and list', async () => {
      const f = await engine.fixture();
      const repo = await f.repo();
      expect(await repo.queueStats()).toEqual({ depth: 0, oldest: null });
      expect(await repo.countByState()).toEqual({});
      const call = randomUUID();
      const second = (await repo.insert(rec({ callId: call, startedAt: at(20), stoppedAt: at(30) }), at(31))).row.id;
      const first = (await repo.insert(rec({ callId: call, startedAt: at(10), stoppedAt: null }), at(25))).row.id;
      await repo.insert(rec({ state: 'captured', stoppedAt: null }), at(2));
      const gone = (await repo.insert(rec({ stoppedAt: at(1) }), at(3))).row.id;
      await repo.update(gone, { state: 'done' }, null);
      await repo.update(first, { state: 'verified' }, null);
      // oldest: min(stopped_at, else created_at) over spooled … verified: `first` has no stop time, created at 25.
      expect(await repo.queueStats()).toEqual({ depth: 2, oldest: at(25) });
      expect(await repo.countByState()).toEqual({ captured: 1, spooled: 1, verified: 1, done: 1 });
      expect((await repo.ofCall(call)).map((r) => r.id)).toEqual([first, second]);
      expect(await repo.ofCall(randomUUID())).toEqual([]);
      expect((await repo.list()).map((r) => r.id)).toHaveLength(4);
      expect((await repo.list({ limit: 2 })).map((r) => r.id)).toEqual([second, first]);
      expect((await repo.list({ state: 'done' })).map((r) => r.id)).toEqual([gone]);
    });

    it('hasEvent reads the ledger: kind, call (or none) and recordingId must all match', async () => {
      const f = await engine.fixture();
      const repo = await f.repo();
      const call = randomUUID();
      const recording = randomUUID();
      const unknownCallRecording = randomUUID();
      expect(await repo.hasEvent('recording.stored', call, recording)).toBe(false);
      await f.evidence.append({ callId: call, kind: 'recording.stored', data: { recordingId: recording, key: 'k' } });
      await f.evidence.append({ callId: null, kind: 'recording.quarantined', data: { recordingId: unknownCallRecording, reason: 'unknown_call' } });
      expect(await repo.hasEvent('recording.stored', call, recording)).toBe(true);
      expect(await repo.hasEvent('recording.deleted', call, recording)).toBe(false);
      expect(await repo.hasEvent('recording.stored', randomUUID(), recording)).toBe(false);
      expect(await repo.hasEvent('recording.stored', null, recording)).toBe(false);
      expect(await repo.hasEvent('recording.stored', call, randomUUID())).toBe(false);
      expect(await repo.hasEvent('recording.quarantined', null, unknownCallRecording)).toBe(true);
      expect(await repo.hasEvent('recording.quarantined', call, unknownCallRecording)).toBe(false);
    });
  });
}
