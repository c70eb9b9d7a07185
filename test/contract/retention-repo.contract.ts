// What every retention repository must do, written once and run against each engine
// (test/contract/retention-sqlite.test.ts, retention-postgres.test.ts): due items exactly at
// their boundary, holds by call, caller and flow, the four-eyes release, leases, marks that two
// instances cannot both take, and the erasure bookkeeping.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { EvidenceStore } from '../../src/evidence/store.js';
import { createSubject, lookupKey } from '../../src/evidence/subject.js';
import { resolvePolicies } from '../../src/retention/policy.js';
import type { Candidate, RetentionRepo } from '../../src/retention/repo.js';

export const PEPPER = 'contract-pepper-0123456789abcdef';
const DAY = 86_400_000;
const T0 = '2026-01-10T08:00:00.000Z';
const at = (iso: string, plusMs: number) => Date.parse(iso) + plusMs;

/** One evidence database (SQLite file or PostgreSQL schema) with every migration applied. */
export interface RetentionFixture {
  /** The evidence store on it: calls, subjects and events are written the way the service writes them. */
  readonly evidence: EvidenceStore;
  /** A repository on a connection of its own, like another instance's; closed after the test. */
  repo(): Promise<RetentionRepo>;
  /** Raw SQL with `?` placeholders, for seeding recordings and reading rows back. */
  sql<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
}

export interface RetentionEngine {
  readonly name: 'sqlite' | 'postgres';
  fixture(): Promise<RetentionFixture>;
}

/** main: recordings 10 days, evidence 30, quarantine 3; sales and unknown flows: the default. */
const policies = resolvePolicies(
  { default: { recordingsDays: 90, evidenceDays: 2190 } },
  [{ id: 'main', retention: { recordingsDays: 10, evidenceDays: 30, quarantineDays: 3 } }, { id: 'sales' }],
  { quarantineDays: 7 },
);

async function openCall(f: RetentionFixture, c: { callId?: string; startedAt?: string; flowId?: string; number?: string | null } = {}): Promise<string> {
  const callId = c.callId ?? randomUUID();
  const startedAt = c.startedAt ?? T0;
  const flowId = c.flowId ?? 'main';
  const subject = c.number === null ? null : createSubject(c.number ?? '+48600123456', PEPPER);
  await f.evidence.append(
    { callId, kind: 'call.started', at: startedAt, data: { flowId, did: '+48221234567', caller: subject?.commitment ?? null } },
    { ...(subject ? { subject } : {}), callOpen: { callId, startedAt, flowId, did: '+48221234567', legalBasis: 'consent_by_conduct', server: 'pbx-1', language: 'pl' } },
  );
  return callId;
}

interface RecordingSeed {
  callId: string | null;
  id?: string;
  startedAt?: string;
  disposition?: 'keep' | 'quarantine';
  state?: string;
  objectKey?: string | null;
  claimedUntil?: string | null;
  retainUntil?: string | null;
  store?: 'local' | 's3';
  versionId?: string | null;
}

async function addRecording(f: RetentionFixture, r: RecordingSeed): Promise<string> {
  const id = r.id ?? randomUUID();
  const startedAt = r.startedAt ?? T0;
  await f.sql(
    `INSERT INTO recordings (id, call_id, source, source_name, found_by, state, disposition, started_at, stopped_at, context_id,
       plaintext_bytes, plaintext_sha256, store, object_key, version_id, retain_until, claimed_by, claimed_until, created_at, updated_at)
     VALUES (?, ?, 'spool', ?, 'ami', ?, ?, ?, ?, ?, 10, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      id,
      r.callId,
      `consentline-${id}.wav`,
      r.state ?? 'done',
      r.disposition ?? 'keep',
      startedAt,
      startedAt,
      r.callId ?? id,
      '0'.repeat(64),
      r.store ?? 'local',
      r.objectKey === undefined ? `recordings/${id}.wav.enc` : r.objectKey,
      r.versionId ?? null,
      r.retainUntil ?? null,
      r.claimedUntil ? 'pipeline' : null,
      r.claimedUntil ?? null,
      startedAt,
      startedAt,
    ],
  );
  return id;
}

const ids = (cs: readonly { id: string }[]) => cs.map((c) => c.id).sort();
const reason = () => 'retention' as const;

async function recordingRow(f: RetentionFixture, id: string) {
  const [row] = await f.sql<{ state: string; claimed_by: string | null; claimed_until: string | null }>('SELECT state, claimed_by, claimed_until FROM recordings WHERE id = ?', [id]);
  return row!;
}

export function retentionRepoContract(engine: RetentionEngine): void {
  describe(`retention repository contract: ${engine.name}`, () => {
    describe('due items', () => {
      it('a kept recording is due exactly recordingsDays after capture, a quarantined one quarantineDays after; per flow, default otherwise', async () => {
        const f = await engine.fixture();
        const repo = await f.repo();
        const main = await openCall(f, { flowId: 'main' });
        const sales = await openCall(f, { flowId: 'sales' });
        const kept = await addRecording(f, { callId: main });
        const quarantined = await addRecording(f, { callId: main, disposition: 'quarantine' });
        const salesRec = await addRecording(f, { callId: sales });
        const orphan = await addRecording(f, { callId: null }); // no call: the default policy

        const due = async (now: number) => ids(await repo.dueRecordings(policies, now, '', 100));
        expect(await due(at(T0, 3 * DAY - 1))).toEqual([]);
        expect(await due(at(T0, 3 * DAY))).toEqual([quarantined]);
        expect(await due(at(T0, 10 * DAY - 1))).toEqual([quarantined]);
        expect(await due(at(T0, 10 * DAY))).toEqual([kept, quarantined].sort());
        expect(await due(at(T0, 90 * DAY - 1))).toEqual([kept, quarantined].sort());
        expect(await due(at(T0, 90 * DAY))).toEqual([kept, quarantined, salesRec, orphan].sort());
      });

      it('only stored rows nobody claims are due; pages go by id', async () => {
        const f = await engine.fixture();
        const repo = await f.repo();
        const call = await openCall(f);
        const now = at(T0, 20 * DAY);
        const stored = await Promise.all(Array.from({ length: 5 }, () => addRecording(f, { callId: call })));
        await addRecording(f, { callId: call, state: 'uploaded' });
        await addRecording(f, { callId: call, objectKey: null });
        await addRecording(f, { callId: call, claimedUntil: new Date(now + 60_000).toISOString() });
        const staleClaim = await addRecording(f, { callId: call, claimedUntil: new Date(now - 1).toISOString() });

        const all = [...stored, staleClaim].sort();
        const first = await repo.dueRecordings(policies, now, '', 4);
        const rest = await repo.dueRecordings(policies, now, first.at(-1)!.id, 4);
        expect(first.map((c) => c.id)).toEqual(all.slice(0, 4));
        expect(rest.map((c) => c.id)).toEqual(all.slice(4));
        const c = first[0]!;
        expect(c).toMatchObject({ call_id: call, flow_id: 'main', started_at: T0, disposition: 'keep', mark_state: null, held: 0 });
      });

      it("a page is filled past recordings their own flow keeps longer, and past objects whose legal hold is already right", async () => {
        const f = await engine.fixture();
        const repo = await f.repo();
        const main = await openCall(f, { flowId: 'main' });
        const sales = await openCall(f, { flowId: 'sales' });
        // Ids in this order: the sales recordings (kept 90 days) come first in every page.
        const kept = await Promise.all(['r-1', 'r-2', 'r-3'].map((id) => addRecording(f, { id, callId: sales, store: 's3' })));
        const due = await Promise.all(['r-4', 'r-5'].map((id) => addRecording(f, { id, callId: main, store: 's3' })));
        const now = at(T0, 20 * DAY); // main's 10 days are up, sales' 90 are not
        expect((await repo.dueRecordings(policies, now, '', 2)).map((c) => c.id)).toEqual(due);
        expect(await repo.dueRecordings(policies, now, 'r-5', 2)).toEqual([]);

        await repo.insertHold({ id: 'fill-flow', scope: 'flow', target: 'main', reason: 'audit', set_by: 't1', set_by_name: 'dpo-1', set_at: T0 });
        await repo.insertHold({ id: 'fill-call', scope: 'call', target: sales, reason: 'audit', set_by: 't1', set_by_name: 'dpo-1', set_at: T0 });
        for (const id of kept) await repo.holdMirrored(id, true);
        expect((await repo.holdMirrorDue('', 2)).map((x) => [x.id, Number(x.held)])).toEqual(due.map((id) => [id, 1]));
      });

      it('caller data is due evidenceDays after capture, and not once erased', async () => {
        const f = await engine.fixture();
        const repo = await f.repo();
        const main = await openCall(f, { flowId: 'main' });
        await openCall(f, { flowId: 'main', number: null }); // no caller data: never due
        const sales = await openCall(f, { flowId: 'sales' });
        const due = async (now: number) => (await repo.dueEvidence(policies, now, '', 100)).map((c) => c.call_id).sort();
        expect(await due(at(T0, 30 * DAY - 1))).toEqual([]);
        expect(await due(at(T0, 30 * DAY))).toEqual([main]);
        expect(await due(at(T0, 2190 * DAY))).toEqual([main, sales].sort());

        expect(await repo.eraseCallSubjects([main])).toBe(1);
        expect(await due(at(T0, 2190 * DAY))).toEqual([sales]);
        const [row] = await f.sql<{ caller_lookup: string | null; caller_masked: string | null }>('SELECT caller_lookup, caller_masked FROM calls WHERE call_id = ?', [main]);
        expect(row).toEqual({ caller_lookup: null, caller_masked: null });
        expect(await f.sql('SELECT 1 FROM subjects WHERE call_id = ?', [main])).toEqual([]);
        // The chain is untouched and still verifies.
        expect((await f.evidence.verify()).ok).toBe(true);
      });
    });

    describe('holds', () => {
      it('a hold on a call, a caller or a flow marks exactly the items it covers; a released one no longer does', async () => {
        const f = await engine.fixture();
        const repo = await f.repo();
        const a = await openCall(f, { flowId: 'main', number: '+48600000001' });
        const b = await openCall(f, { flowId: 'main', number: '+48600000002' });
        const c = await openCall(f, { flowId: 'sales', number: '+48600000003' });
        const recs = { a: await addRecording(f, { callId: a }), b: await addRecording(f, { callId: b }), c: await addRecording(f, { callId: c }) };
        const now = at(T0, 3000 * DAY);
        const heldRecordings = async () => (await repo.dueRecordings(policies, now, '', 100)).filter((x) => x.held === 1).map((x) => x.id).sort();
        const heldCalls = async () => (await repo.dueEvidence(policies, now, '', 100)).filter((x) => x.held === 1).map((x) => x.call_id).sort();
        expect(await heldRecordings()).toEqual([]);

        const set = async (id: string, scope: 'call' | 'caller' | 'flow', target: string) =>
          repo.insertHold({ id, scope, target, reason: 'litigation', set_by: 't1', set_by_name: 'dpo-1', set_at: new Date(now).toISOString() });
        await set('h-call', 'call', a);
        expect(await heldRecordings()).toEqual([recs.a]);
        expect(await heldCalls()).toEqual([a]);
        await set('h-caller', 'caller', lookupKey(PEPPER, '+48600000002'));
        expect(await heldRecordings()).toEqual([recs.a, recs.b].sort());
        await set('h-flow', 'flow', 'sales');
        expect(await heldRecordings()).toEqual([recs.a, recs.b, recs.c].sort());
        expect(await heldCalls()).toEqual([a, b, c].sort());
        expect(await repo.holdsOnCall(c)).toEqual(['h-flow']);
        expect((await repo.callsOfCaller(lookupKey(PEPPER, '+48600000002')))[0]).toMatchObject({ call_id: b, flow_id: 'main', held: 1 });
        expect(await repo.callsCoveredBy('flow', 'main')).toEqual([a, b].sort());

        await repo.requestRelease('h-flow', { id: 't1', name: 'dpo-1' }, 'case closed', new Date(now).toISOString());
        expect(await repo.approveRelease('h-flow', { id: 't2', name: 'dpo-2' }, new Date(now).toISOString())).toBe(true);
        expect(await heldRecordings()).toEqual([recs.a, recs.b].sort());
        expect(await repo.holdsOnCall(c)).toEqual([]);
        expect((await repo.holds({ active: true })).map((h) => h.id).sort()).toEqual(['h-call', 'h-caller']);
        expect((await repo.holds()).length).toBe(3);
      });

      it('hold mirror: the stored S3 objects whose own legal hold differs from the active holds, until marked copied', async () => {
        const f = await engine.fixture();
        const repo = await f.repo();
        const a = await openCall(f, { flowId: 'main', number: '+48600000011' });
        const b = await openCall(f, { flowId: 'sales', number: '+48600000012' });
        const s3a = await addRecording(f, { callId: a, store: 's3', versionId: 'v-a' });
        const s3b = await addRecording(f, { callId: b, store: 's3' });
        await addRecording(f, { callId: a }); // local store: no object legal hold
        await addRecording(f, { callId: a, store: 's3', state: 'deleted' });
        await addRecording(f, { callId: a, store: 's3', state: 'spooled', objectKey: null });
        const due = async (after = '') => (await repo.holdMirrorDue(after, 100)).map((x) => ({ id: x.id, held: Number(x.held), v: x.version_id }));
        expect(await due()).toEqual([]); // nothing held, nothing ever set

        const now = '2026-03-01T00:00:00.000Z';
        await repo.insertHold({ id: 'hm-call', scope: 'call', target: a, reason: 'audit', set_by: 't1', set_by_name: 'dpo-1', set_at: now });
        expect(await due()).toEqual([{ id: s3a, held: 1, v: 'v-a' }]);
        await repo.insertHold({ id: 'hm-flow', scope: 'flow', target: 'sales', reason: 'audit', set_by: 't1', set_by_name: 'dpo-1', set_at: now });
        expect(await due()).toEqual([{ id: s3a, held: 1, v: 'v-a' }, { id: s3b, held: 1, v: null }].sort((x, y) => (x.id < y.id ? -1 : 1)));
        expect(await due(s3a > s3b ? s3b : s3a)).toHaveLength(1); // paged by id

        await repo.holdMirrored(s3a, true);
        await repo.holdMirrored(s3b, true);
        expect(await due()).toEqual([]);
        await repo.requestRelease('hm-flow', { id: 't1', name: 'dpo-1' }, null, now);
        await repo.approveRelease('hm-flow', { id: 't2', name: 'dpo-2' }, now);
        expect(await due()).toEqual([{ id: s3b, held: 0, v: null }]); // to clear
        await repo.holdMirrored(s3b, false);
        expect(await due()).toEqual([]);
      });

      it('four eyes: one request at a time, the requester cannot approve, a second token can, once', async () => {
        const f = await engine.fixture();
        const repo = await f.repo();
        const now = '2026-02-01T00:00:00.000Z';
        await repo.insertHold({ id: 'h1', scope: 'flow', target: 'main', reason: 'audit', set_by: 't0', set_by_name: 'dpo-0', set_at: now });
        const alice = { id: 't1', name: 'alice' };
        const bob = { id: 't2', name: 'bob' };
        expect(await repo.approveRelease('h1', bob, now)).toBe(false); // nothing asked yet
        expect(await repo.requestRelease('h1', alice, 'done', now)).toBe(true);
        expect(await repo.requestRelease('h1', bob, 'me too', now)).toBe(false);
        expect(await repo.approveRelease('h1', alice, now)).toBe(false);
        expect((await repo.hold('h1'))!.released_at).toBeNull();
        const [second, third] = await Promise.all([repo.approveRelease('h1', bob, now), repo.approveRelease('h1', { id: 't3', name: 'carol' }, now)]);
        expect([second, third].filter(Boolean)).toHaveLength(1);
        const h = (await repo.hold('h1'))!;
        expect(h).toMatchObject({ release_requested_by: 't1', release_requested_by_name: 'alice', release_reason: 'done', released_at: now });
        expect(['t2', 't3']).toContain(h.released_by);
        expect(await repo.requestRelease('h1', bob, null, now)).toBe(false);
        expect(await repo.hold('nope')).toBeNull();
      });

      it('four eyes are two persons: a second token of the requester cannot approve, another person can', async () => {
        const repo = await (await engine.fixture()).repo();
        const now = '2026-02-01T00:00:00.000Z';
        await repo.insertHold({ id: 'h2', scope: 'flow', target: 'main', reason: 'audit', set_by: 't0', set_by_name: 'dpo-0', set_at: now });
        expect(await repo.requestRelease('h2', { id: 't1', name: 'alice laptop', subject: 'alice' }, 'done', now)).toBe(true);
        expect((await repo.hold('h2'))!.release_requested_subject).toBe('alice');
        expect(await repo.approveRelease('h2', { id: 't4', name: 'alice phone', subject: 'alice' }, now)).toBe(false);
        expect((await repo.hold('h2'))!.released_at).toBeNull();
        expect(await repo.approveRelease('h2', { id: 't2', name: 'bob', subject: 'bob' }, now)).toBe(true);
      });
    });

    describe('leases', () => {
      it('one holder at a time; re-entrant for the holder; renewed by the holder only; taken over once expired', async () => {
        const f = await engine.fixture();
        const a = await f.repo();
        const b = await f.repo();
        const t = Date.parse('2026-02-01T00:00:00.000Z');
        expect(await a.acquireLease('retention', 'A', t, 1000)).toBe(true);
        expect(await b.acquireLease('retention', 'B', t + 999, 1000)).toBe(false);
        expect(await a.acquireLease('retention', 'A', t + 10, 1000)).toBe(true);
        expect(await b.renewLease('retention', 'B', t + 20, 1000)).toBe(false);
        expect(await a.renewLease('retention', 'A', t + 500, 1000)).toBe(true);
        expect(await b.leaseHolder('retention')).toEqual({ holder: 'A', expires_at: t + 1500 });
        expect(await b.acquireLease('retention', 'B', t + 1499, 1000)).toBe(false);
        // Expired: B takes it, and A can neither renew it nor release it from under B.
        expect(await b.acquireLease('retention', 'B', t + 1500, 1000)).toBe(true);
        expect(await a.renewLease('retention', 'A', t + 1600, 1000)).toBe(false);
        await a.releaseLease('retention', 'A');
        expect(await a.leaseHolder('retention')).toMatchObject({ holder: 'B' });
        await b.releaseLease('retention', 'B');
        expect(await a.leaseHolder('retention')).toBeNull();
        // Another name is another lease.
        expect(await a.acquireLease('other', 'A', t, 1000)).toBe(true);
      });

      it('instances racing for a free lease: exactly one gets it', async () => {
        const f = await engine.fixture();
        const repos = await Promise.all(Array.from({ length: 4 }, () => f.repo()));
        const t = Date.now();
        for (let round = 0; round < 5; round++) {
          const won = await Promise.all(repos.flatMap((r, i) => [0, 1].map((k) => r.acquireLease(`race-${round}`, `holder-${i}-${k}`, t, 60_000))));
          expect(won.filter(Boolean)).toHaveLength(1);
        }
      });
    });

    describe('marks', () => {
      it('two instances marking the same items at once: each item is marked by exactly one', async () => {
        const f = await engine.fixture();
        const [a, b] = [await f.repo(), await f.repo()];
        const call = await openCall(f);
        await Promise.all(Array.from({ length: 60 }, () => addRecording(f, { callId: call })));
        const now = at(T0, 20 * DAY);
        const due = await a.dueRecordings(policies, now, '', 1000);
        expect(due).toHaveLength(60);
        const batches = (items: Candidate[]) => Array.from({ length: 6 }, (_, i) => items.slice(i * 10, i * 10 + 10));
        const claim = (r: RetentionRepo, holder: string, items: Candidate[]) =>
          Promise.all(batches(items).map((batch) => r.mark(batch, reason, holder, `run-${holder}`, now, now + 600_000)));
        const [byA, byB] = await Promise.all([claim(a, 'A', due), claim(b, 'B', [...due].reverse())]);
        const setA = new Set(byA.flatMap((s) => [...s]));
        const setB = new Set(byB.flatMap((s) => [...s]));
        expect([...setA].filter((id) => setB.has(id))).toEqual([]);
        expect(setA.size + setB.size).toBe(60);
        for (const id of setA) expect((await recordingRow(f, id)).claimed_by).toBe('A');
        for (const c of due) expect(await a.deletionState(c.id)).toEqual({ state: 'deleting', reason: 'retention', attempts: 1 });
        // Claimed now: no longer due, and marking again gets nothing.
        expect(await a.dueRecordings(policies, now, '', 1000)).toEqual([]);
        expect((await b.mark(due, reason, 'C', 'run-C', now, now + 600_000)).size).toBe(0);
      });

      it('an interrupted run: its marks are unfinished, taken over whatever the claim says, and settle once the pipeline deleted the row', async () => {
        const f = await engine.fixture();
        const repo = await f.repo();
        const call = await openCall(f);
        const [r1, r2] = [await addRecording(f, { callId: call }), await addRecording(f, { callId: call })];
        const now = at(T0, 20 * DAY);
        const due = await repo.dueRecordings(policies, now, '', 10);
        expect((await repo.mark(due, reason, 'A', 'run-1', now, now + 600_000)).size).toBe(2);

        const left = await repo.unfinished(10);
        expect(ids(left)).toEqual([r1, r2].sort());
        expect(left[0]).toMatchObject({ mark_state: 'deleting', mark_reason: 'retention', held: 0 });
        // A new run takes them over though the claim is still live (mark_state 'deleting').
        const taken = await repo.mark(left, (c) => c.mark_reason ?? 'retention', 'B', 'run-2', now + 1, now + 600_000);
        expect([...taken].sort()).toEqual([r1, r2].sort());
        expect(await repo.deletionState(r1)).toEqual({ state: 'deleting', reason: 'retention', attempts: 2 });
        expect((await recordingRow(f, r1)).claimed_by).toBe('B');

        // The pipeline deleted r2 meanwhile: its mark settles as deleted.
        await f.sql(`UPDATE recordings SET state = 'deleted' WHERE id = ?`, [r2]);
        expect(await repo.settleForeignDeletions(now + 2)).toBe(1);
        expect(ids(await repo.unfinished(10))).toEqual([r1]);
        expect((await repo.deletionState(r2))!.state).toBe('deleted');
      });

      it('finish: deleted rows leave for good; locked, failed and unmarked ones are let go and come back', async () => {
        const f = await engine.fixture();
        const repo = await f.repo();
        const call = await openCall(f);
        const rec = await Promise.all(Array.from({ length: 4 }, () => addRecording(f, { callId: call })));
        const [gone, locked, failed, unmarked] = rec.sort();
        const now = at(T0, 20 * DAY);
        await repo.mark(await repo.dueRecordings(policies, now, '', 10), reason, 'A', 'run-1', now, now + 600_000);

        await repo.finishDeleted([gone!], now + 1);
        await repo.finishNotDeleted(
          [
            { id: locked!, state: 'locked', detail: 'Object Lock', retainUntil: '2030-01-01T00:00:00.000Z' },
            { id: failed!, state: 'failed', detail: 'UNAVAILABLE' },
          ],
          now + 1,
        );
        await repo.unmark([unmarked!]);
        expect(await recordingRow(f, gone!)).toEqual({ state: 'deleted', claimed_by: null, claimed_until: null });
        expect(await repo.deletionState(gone!)).toEqual({ state: 'deleted', reason: 'retention', attempts: 1 });
        expect(await recordingRow(f, locked!)).toEqual({ state: 'done', claimed_by: null, claimed_until: null });
        expect((await repo.deletionState(locked!))!.state).toBe('locked');
        expect(await repo.deletionState(unmarked!)).toBeNull();
        expect(await f.sql('SELECT retain_until, detail FROM retention_deletions WHERE recording_id = ?', [locked!])).toEqual([
          { retain_until: '2030-01-01T00:00:00.000Z', detail: 'Object Lock' },
        ]);
        const again = await repo.dueRecordings(policies, now + 2, '', 10);
        expect(ids(again)).toEqual([locked!, failed!, unmarked!].sort());
        expect(again.find((c) => c.id === failed)).toMatchObject({ mark_state: 'failed', mark_reason: 'retention' });
        expect(await repo.unfinished(10)).toEqual([]);
      });
    });

    describe('erasure bookkeeping', () => {
      it("a caller's calls by look-up key; pending erasure marks are due whatever the policy; events found by recording id", async () => {
        const f = await engine.fixture();
        const repo = await f.repo();
        const key = lookupKey(PEPPER, '+48600555000');
        const c1 = await openCall(f, { number: '+48600555000', startedAt: '2026-01-01T00:00:00.000Z' });
        const c2 = await openCall(f, { number: '+48600555000', startedAt: '2026-01-02T00:00:00.000Z' });
        await openCall(f, { number: '+48600555999' });
        // The projection lost the key (an earlier erasure of the projection only): the subjects table still finds the call.
        await f.sql('UPDATE calls SET caller_lookup = NULL WHERE call_id = ?', [c2]);
        expect((await repo.callsOfCaller(key)).map((c) => c.call_id)).toEqual([c1, c2]);

        const fresh = await addRecording(f, { callId: c1, startedAt: '2026-03-01T00:00:00.000Z' });
        const uploading = await addRecording(f, { callId: c2, state: 'uploaded' });
        const recs = await repo.recordingsOfCalls([c1, c2]);
        expect(ids(recs)).toEqual([fresh, uploading].sort());
        expect(recs.find((r) => r.id === fresh)).toMatchObject({ call_id: c1, state: 'done', plaintext_bytes: 10, context_id: c1 });
        expect(await repo.recordingsOfCalls([])).toEqual([]);

        const now = Date.parse('2026-03-01T00:00:01.000Z'); // far from any policy
        expect(await repo.dueRecordings(policies, now, '', 10)).toEqual([]);
        await repo.markPendingErasure(
          recs.map((r) => ({ id: r.id, call_id: r.call_id, object_key: r.object_key, version_id: r.version_id })),
          'req-1',
          'erasure request',
          now,
        );
        const due = await repo.dueRecordings(policies, now, '', 10);
        expect(due.map((c) => [c.id, c.mark_state, c.mark_reason])).toEqual([[fresh, 'pending', 'erasure']]); // the uploading one once stored
        await f.sql(`UPDATE recordings SET state = 'done' WHERE id = ?`, [uploading]);
        expect(ids(await repo.dueRecordings(policies, now, '', 10))).toEqual([fresh, uploading].sort());
        // A sweep marking it later keeps the erasure reason.
        await repo.mark(due, reason, 'A', 'run-9', now, now + 60_000);
        expect(await repo.deletionState(fresh)).toEqual({ state: 'deleting', reason: 'erasure', attempts: 1 });

        expect(await repo.hasDeletionEvent(c1, fresh)).toBe(false);
        await f.evidence.append({ callId: c1, kind: 'recording.deleted', data: { recordingId: fresh, reason: 'erasure' } });
        expect(await repo.hasDeletionEvent(c1, fresh)).toBe(true);
        expect(await repo.hasDeletionEvent(c2, fresh)).toBe(false);
        expect(await repo.hasDeletionEvent(null, 'orphan-rec')).toBe(false);
        await f.evidence.append({ callId: null, kind: 'recording.deleted', data: { recordingId: 'orphan-rec' } });
        expect(await repo.hasDeletionEvent(null, 'orphan-rec')).toBe(true);
        expect(await repo.hasEvidenceErasureEvent(c1, 'retention.deleted')).toBe(false);
        await f.evidence.append({ callId: c1, kind: 'retention.deleted', data: { scope: 'caller_data' } });
        expect(await repo.hasEvidenceErasureEvent(c1, 'retention.deleted')).toBe(true);
        expect(await repo.hasEvidenceErasureEvent(c1, 'erasure.done')).toBe(false);

        expect(await repo.eraseCallSubjects([c1, c2])).toBe(2);
        expect(await repo.callsOfCaller(key)).toEqual([]);
        expect(await repo.eraseCallSubjects([])).toBe(0);
      });

      it('an erasure request is recorded, then finished with its certificate', async () => {
        const f = await engine.fixture();
        const repo = await f.repo();
        await repo.insertErasure('req-1', 't1', '2026-02-01T00:00:00.000Z');
        expect(await repo.erasureCertificate('req-1')).toBeNull();
        await repo.finishErasure('req-1', '2026-02-01T00:00:05.000Z', '{"type":"cert"}');
        expect(await repo.erasureCertificate('req-1')).toBe('{"type":"cert"}');
        expect(await repo.erasureCertificate('req-2')).toBeNull();
        expect(await f.sql('SELECT requested_by, requested_at, done_at FROM erasure_requests')).toEqual([
          { requested_by: 't1', requested_at: '2026-02-01T00:00:00.000Z', done_at: '2026-02-01T00:00:05.000Z' },
        ]);
      });

      it('erasure requests are read back one by id and listed newest first, open ones without a certificate', async () => {
        const f = await engine.fixture();
        const repo = await f.repo();
        await repo.insertErasure('req-a', 't1', '2026-02-01T00:00:00.000Z');
        await repo.insertErasure('req-b', 't2', '2026-02-03T00:00:00.000Z');
        await repo.insertErasure('req-c', 't1', '2026-02-02T00:00:00.000Z');
        await repo.finishErasure('req-a', '2026-02-01T00:00:05.000Z', '{"type":"cert"}');
        expect(await repo.erasure('req-a')).toEqual({ id: 'req-a', requested_by: 't1', requested_at: '2026-02-01T00:00:00.000Z', done_at: '2026-02-01T00:00:05.000Z', certificate: '{"type":"cert"}' });
        expect(await repo.erasure('req-b')).toEqual({ id: 'req-b', requested_by: 't2', requested_at: '2026-02-03T00:00:00.000Z', done_at: null, certificate: null });
        expect(await repo.erasure('req-x')).toBeNull();
        expect((await repo.erasures(10)).map((r) => r.id)).toEqual(['req-b', 'req-c', 'req-a']);
        expect((await repo.erasures(2)).map((r) => r.id)).toEqual(['req-b', 'req-c']);
      });
    });

    describe('sweep reports', () => {
      it('a finished run is kept as it was reported and listed newest first; a run id twice is refused', async () => {
        const f = await engine.fixture();
        const repo = await f.repo();
        const report = (runId: string, startedAt: string, dryRun: boolean) => ({
          status: 'done' as const,
          runId,
          dryRun,
          startedAt,
          finishedAt: startedAt.replace(':00.000Z', ':09.000Z'),
          recordings: { due: 2, deleted: 1, alreadyAbsent: 0, resumed: 0, busy: 0, held: 1, locked: 0, failed: 0, deletedIds: ['r1'], heldItems: [{ recordingId: 'r2', callId: 'c2' }], lockedItems: [], failedItems: [] },
          evidence: { due: 1, erased: 0, held: 0, heldCallIds: [], consentKept: 1, consentKeptCallIds: ['c3'] },
        });
        expect(await repo.sweeps(5)).toEqual([]);
        const first = report('run-1', '2026-02-01T03:00:00.000Z', false);
        await repo.saveSweep(first);
        await repo.saveSweep(report('run-3', '2026-02-03T03:00:00.000Z', true));
        await repo.saveSweep({ ...report('run-2', '2026-02-02T03:00:00.000Z', false), status: 'lease_lost' });
        expect((await repo.sweeps(5)).map((r) => [r.runId, r.status, r.dryRun])).toEqual([
          ['run-3', 'done', true],
          ['run-2', 'lease_lost', false],
          ['run-1', 'done', false],
        ]);
        expect((await repo.sweeps(1)).map((r) => r.runId)).toEqual(['run-3']);
        expect((await repo.sweeps(5))[2]).toEqual(first);
        await expect(repo.saveSweep(first)).rejects.toThrow();
        expect(await f.sql('SELECT dry_run FROM retention_runs ORDER BY started_at')).toEqual([{ dry_run: 0 }, { dry_run: 0 }, { dry_run: 1 }]);
      });
    });
  });
}
