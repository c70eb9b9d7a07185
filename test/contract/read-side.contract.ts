// The API's read side (queries, Merkle tree, checkpoints) written once and run against each
// engine (test/contract/read-side-sqlite.test.ts, read-side-postgres.test.ts). Every answer
// is checked against a model computed here from the same seed, and the Merkle roots against
// pinned values, so both engines give the same answers for the same events.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadOrCreateSigner, openNote, parseVerifierKey, parseCheckpointText, type CheckpointService } from '../../src/evidence/checkpoint.js';
import { MemoryTree, consistencyProof, eventLeafHash, inclusionPath, treeRoot, verifyConsistency, verifyInclusion } from '../../src/evidence/merkle.js';
import type { ScanOptions } from '../../src/evidence/chain-scan-pool.js';
import { readSideCheckpoints, type ReadSide } from '../../src/evidence/open-read-side.js';
import type { CallPage, CallSearch, DayStats } from '../../src/evidence/queries.js';
import type { OverviewQuery, OverviewRow } from '../../src/evidence/queries-overview.js';
import type { CallOpen, CallPatch, EvidenceStore } from '../../src/evidence/store.js';
import { createSubject } from '../../src/evidence/subject.js';
import type { NewEvent, Outcome, StoredEvent, SubjectRecord } from '../../src/evidence/types.js';

/** One ledger on one engine: a writer, the read side under test, and an attacker's edits. */
export interface ReadSideLedger {
  /** A store appending to this ledger, closed after the test. */
  store(): Promise<EvidenceStore>;
  /** The read side as openReadSide gives it, closed after the test. */
  readSide(opts?: { readonly scan?: ScanOptions }): Promise<ReadSide>;
  readonly tamper: {
    setData(seq: number, dataJson: string): Promise<void>;
    setHash(seq: number, hash: string): Promise<void>;
    delete(seq: number): Promise<void>;
  };
  /** The merkle_nodes rows, hashes in hex, by level then index. */
  merkleNodes(): Promise<{ level: number; idx: number; hash: string }[]>;
}

export interface ReadSideEngine {
  readonly name: 'sqlite' | 'postgres';
  ledger(): Promise<ReadSideLedger>;
}

const PEPPER = 'contract-pepper';
const DAY1 = '2026-03-01';
const DAY2 = '2026-03-02';

interface SeedCall {
  readonly open: CallOpen;
  readonly subject: SubjectRecord | null;
  readonly patch: Required<Pick<CallPatch, 'outcome' | 'recording' | 'marketing'>>;
  readonly noticeCompleted: boolean;
  readonly objections: number;
  readonly clauseListens: number;
}

const OUTCOMES: (Outcome | null)[] = ['continued', 'objected', 'abandoned', 'failed', null];

/** 26 calls over two days with ties on started_at, three callers and two flows, DIDs and every outcome. */
function seedCalls(): SeedCall[] {
  return Array.from({ length: 26 }, (_, i) => {
    const callId = `call-${String(i).padStart(2, '0')}${i % 5 === 0 ? '.x' : ''}`;
    const minute = String(Math.floor(i / 4)).padStart(2, '0');
    const outcome = OUTCOMES[i % 5]!;
    return {
      open: {
        callId,
        startedAt: `${i % 2 ? DAY2 : DAY1}T09:${minute}:00.000Z`,
        flowId: i % 3 === 0 ? 'sales' : 'main',
        did: i % 4 === 0 ? '+48221111111' : '+48222222222',
        legalBasis: 'art6-1-f',
        server: 'pbx-1',
        language: (['pl', 'en', null, 'pl'] as const)[i % 4]!,
      },
      subject: i % 7 === 6 ? null : createSubject(`+4860012345${i % 3}`, PEPPER, Buffer.alloc(16, i)),
      patch: { outcome, recording: i % 2 ? 'yes' : 'no', marketing: (['yes', 'no', 'none'] as const)[i % 3]! },
      noticeCompleted: i % 2 === 0,
      objections: outcome === 'objected' ? 1 + (i % 2) : 0,
      clauseListens: i % 3,
    };
  });
}

/** A call's events; the noise (other steps) must not count in the statistics. */
function callEvents(c: SeedCall): [NewEvent, Parameters<EvidenceStore['append']>[1]][] {
  const id = c.open.callId;
  const at = c.open.startedAt;
  const out: [NewEvent, Parameters<EvidenceStore['append']>[1]][] = [
    [{ callId: id, kind: 'call.started', data: { flowId: c.open.flowId }, at }, { callOpen: c.open, ...(c.subject ? { subject: c.subject } : {}) }],
    [{ callId: id, kind: 'prompt.played', data: { step: 'notice', playback: c.noticeCompleted ? 'completed' : 'interrupted' }, at }, {}],
    [{ callId: id, kind: 'prompt.played', data: { step: 'menu', playback: 'completed' }, at }, {}],
  ];
  for (let k = 0; k < c.clauseListens; k++) out.push([{ callId: id, kind: 'clause.listened', data: {}, at }, {}]);
  for (let k = 0; k < c.objections; k++) out.push([{ callId: id, kind: 'objection.made', data: {}, at }, {}]);
  if (c.patch.outcome === 'abandoned') out.push([{ callId: id, kind: 'call.abandoned', data: { step: 'notice' }, at }, {}]);
  if (c.patch.outcome === 'failed') out.push([{ callId: id, kind: 'call.abandoned', data: { step: 'menu' }, at }, {}]);
  out.push([{ callId: id, kind: 'call.ended', data: {}, at }, { callPatch: { ...c.patch, endedAt: at } }]);
  return out;
}

/** Appends the seed in order (one call after another) and returns every stored event. */
async function seed(store: EvidenceStore, calls: readonly SeedCall[]): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for (const c of calls) for (const [event, effects] of callEvents(c)) out.push(await store.append(event, effects));
  return out;
}

async function seededLedger(engine: ReadSideEngine) {
  const ledger = await engine.ledger();
  const calls = seedCalls();
  const events = await seed(await ledger.store(), calls);
  return { ledger, calls, events, side: await ledger.readSide() };
}

const byteOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The model of searchCalls: filter, newest first, ties by call id descending (bytewise). */
function expectedSearch(calls: readonly SeedCall[], q: Omit<CallSearch, 'limit' | 'after'>): string[] {
  return calls
    .filter((c) => {
      const o = c.open;
      return (
        (q.from === undefined || o.startedAt >= q.from) &&
        (q.to === undefined || o.startedAt < q.to) &&
        (q.did === undefined || o.did === q.did) &&
        (q.flowId === undefined || o.flowId === q.flowId) &&
        (q.callerLookup === undefined || c.subject?.lookupKey === q.callerLookup) &&
        (q.outcome === undefined || c.patch.outcome === q.outcome) &&
        (q.marketing === undefined || c.patch.marketing === q.marketing) &&
        (q.recording === undefined || c.patch.recording === q.recording)
      );
    })
    .sort((a, b) => byteOrder(b.open.startedAt, a.open.startedAt) || byteOrder(b.open.callId, a.open.callId))
    .map((c) => c.open.callId);
}

/** Every page of a search, following `next`. */
async function allPages(side: ReadSide, q: Omit<CallSearch, 'limit' | 'after'>, limit: number): Promise<CallPage[]> {
  const pages: CallPage[] = [];
  let after: CallSearch['after'];
  for (;;) {
    const page = await side.queries.searchCalls({ ...q, limit, ...(after ? { after } : {}) });
    pages.push(page);
    if (!page.next) return pages;
    after = page.next;
    if (pages.length > 100) throw new Error('pagination does not end');
  }
}

function expectedStats(calls: readonly SeedCall[], flowId?: string): DayStats[] {
  const days = new Map<string, DayStats>();
  for (const c of calls) {
    if (flowId !== undefined && c.open.flowId !== flowId) continue;
    const key = `${c.open.startedAt.slice(0, 10)} ${c.open.flowId}`;
    const d = days.get(key) ?? {
      flowId: c.open.flowId,
      day: c.open.startedAt.slice(0, 10),
      calls: 0,
      noticeCompleted: 0,
      abandonedDuringNotice: 0,
      objections: 0,
      clauseListens: 0,
      marketingYes: 0,
      marketingNo: 0,
      recorded: 0,
    };
    const one = (b: boolean) => (b ? 1 : 0);
    days.set(key, {
      ...d,
      calls: d.calls + 1,
      noticeCompleted: d.noticeCompleted + one(c.noticeCompleted),
      abandonedDuringNotice: d.abandonedDuringNotice + one(c.patch.outcome === 'abandoned'),
      objections: d.objections + one(c.objections > 0),
      clauseListens: d.clauseListens + c.clauseListens,
      marketingYes: d.marketingYes + one(c.patch.marketing === 'yes'),
      marketingNo: d.marketingNo + one(c.patch.marketing === 'no'),
      recorded: d.recorded + one(c.patch.recording === 'yes'),
    });
  }
  return [...days.entries()].sort(([a], [b]) => byteOrder(a, b)).map(([, d]) => d);
}

function search(engine: ReadSideEngine): void {
  describe('call search', () => {
    it('each filter alone and together, newest first with ties broken by call id', async () => {
      const { side, calls } = await seededLedger(engine);
      const caller = calls[0]!.subject!.lookupKey;
      const queries: Omit<CallSearch, 'limit' | 'after'>[] = [
        {},
        { from: `${DAY2}T00:00:00.000Z` },
        { to: `${DAY1}T09:03:00.000Z` },
        { from: `${DAY1}T09:02:00.000Z`, to: `${DAY2}T09:04:00.000Z` },
        { did: '+48221111111' },
        { callerLookup: caller },
        { flowId: 'sales' },
        { outcome: 'objected' },
        { marketing: 'none' },
        { recording: 'yes' },
        { flowId: 'main', recording: 'no', marketing: 'yes' },
        { callerLookup: caller, from: `${DAY2}T00:00:00.000Z`, outcome: 'continued' },
        { did: '+48000000000' },
      ];
      for (const q of queries) {
        const want = expectedSearch(calls, q);
        const page = await side.queries.searchCalls({ ...q, limit: 100 });
        expect(page.calls.map((c) => c.callId), JSON.stringify(q)).toEqual(want);
        expect(page.next).toBeNull();
      }
      expect(expectedSearch(calls, { callerLookup: caller }).length).toBeGreaterThan(3);
    });

    it('pages by keyset through ties on started_at: every call once, in order, the last page without next', async () => {
      const { side, calls } = await seededLedger(engine);
      for (const [q, limit] of [[{}, 5], [{}, 2], [{ flowId: 'main' }, 3], [{}, 26], [{}, 1]] as const) {
        const pages = await allPages(side, q, limit);
        expect(pages.flatMap((p) => p.calls.map((c) => c.callId))).toEqual(expectedSearch(calls, q));
        for (const p of pages.slice(0, -1)) {
          expect(p.calls).toHaveLength(limit);
          const last = p.calls[limit - 1]!;
          expect(p.next).toEqual({ startedAt: last.startedAt, callId: last.callId });
        }
        expect(pages[pages.length - 1]!.next).toBeNull();
      }
    });

    it('returns the whole call summary', async () => {
      const { side, calls } = await seededLedger(engine);
      const c = calls[3]!;
      const page = await side.queries.searchCalls({ flowId: c.open.flowId, from: c.open.startedAt, to: `${c.open.startedAt.slice(0, 17)}00.001Z`, limit: 10 });
      expect(page.calls.find((s) => s.callId === c.open.callId)).toEqual({
        ...c.open,
        callerLookup: c.subject?.lookupKey ?? null,
        callerMasked: c.subject?.masked ?? null,
        ...c.patch,
        endedAt: c.open.startedAt,
      });
    });
  });
}

function timelines(engine: ReadSideEngine): void {
  describe('timeline', () => {
    it("gives a call's events in seq order, each checked, with its summary; null for an unknown call", async () => {
      const { side, events, calls } = await seededLedger(engine);
      const c = calls[4]!;
      const t = (await side.queries.timeline(c.open.callId))!;
      const mine = events.filter((e) => e.callId === c.open.callId);
      expect(t.events).toEqual(mine.map((e) => ({ ...e, check: 'ok' })));
      expect(t.firstBroken).toBeNull();
      expect(t.call).toMatchObject({ callId: c.open.callId, outcome: c.patch.outcome });
      expect(await side.queries.timeline('no-such-call')).toBeNull();
    });

    it('a call with events but no summary still has a timeline', async () => {
      const ledger = await engine.ledger();
      const store = await ledger.store();
      await store.append({ callId: 'bare', kind: 'dtmf.received', data: { digit: '1' } });
      const t = (await (await ledger.readSide()).queries.timeline('bare'))!;
      expect(t.call).toBeNull();
      expect(t.events.map((e) => e.check)).toEqual(['ok']);
    });

    it('names the broken events: hash_mismatch, prev_link_mismatch and prev_missing', async () => {
      const { ledger, side, events, calls } = await seededLedger(engine);
      const [a, b, c] = [calls[1]!, calls[2]!, calls[5]!].map((call) => events.filter((e) => e.callId === call.open.callId));
      // a: the second event's data edited; b: the first event's stored hash replaced, so the
      // second no longer links to it; c: the event before its first one (another call's) deleted.
      await ledger.tamper.setData(a![1]!.seq, '{"step":"notice","playback":"edited"}');
      await ledger.tamper.setHash(b![0]!.seq, 'e'.repeat(64));
      await ledger.tamper.delete(c![0]!.seq - 1);

      const ta = (await side.queries.timeline(a![0]!.callId!))!;
      expect(ta.events.map((e) => e.check)).toEqual(a!.map((_, i) => (i === 1 ? 'hash_mismatch' : 'ok')));
      expect(ta.firstBroken).toBe(a![1]!.seq);
      const tb = (await side.queries.timeline(b![0]!.callId!))!;
      expect(tb.events.map((e) => e.check)).toEqual(b!.map((_, i) => (i === 0 ? 'hash_mismatch' : i === 1 ? 'prev_link_mismatch' : 'ok')));
      expect(tb.firstBroken).toBe(b![0]!.seq);
      const tc = (await side.queries.timeline(c![0]!.callId!))!;
      expect(tc.events[0]!.check).toBe('prev_missing');
      expect(tc.firstBroken).toBe(c![0]!.seq);
    });
  });
}

function stats(engine: ReadSideEngine): void {
  describe('statistics by day', () => {
    it('counts per flow and UTC day from the calls and the facts the trigger keeps', async () => {
      const { side, calls } = await seededLedger(engine);
      expect(await side.queries.stats({ fromDay: DAY1, toDay: DAY2 })).toEqual(expectedStats(calls));
      expect(await side.queries.stats({ fromDay: DAY1, toDay: DAY2, flowId: 'sales' })).toEqual(expectedStats(calls, 'sales'));
      expect(await side.queries.stats({ fromDay: DAY2, toDay: DAY2 })).toEqual(expectedStats(calls).filter((d) => d.day === DAY2));
      expect(await side.queries.stats({ fromDay: '2026-02-01', toDay: '2026-02-28' })).toEqual([]);
      // The seed exercises every counter.
      for (const counter of ['noticeCompleted', 'abandonedDuringNotice', 'objections', 'clauseListens', 'marketingYes', 'marketingNo', 'recorded'] as const) {
        expect(expectedStats(calls).reduce((sum, d) => sum + d[counter], 0), counter).toBeGreaterThan(0);
      }
    });

    it('a call without counted events has zero facts', async () => {
      const ledger = await engine.ledger();
      const store = await ledger.store();
      const open: CallOpen = { callId: 'quiet', startedAt: `${DAY1}T10:00:00.000Z`, flowId: 'main', did: '+48221111111', legalBasis: 'x', server: null, language: null };
      await store.append({ callId: 'quiet', kind: 'call.started', data: {} }, { callOpen: open });
      expect(await (await ledger.readSide()).queries.stats({ fromDay: DAY1, toDay: DAY1 })).toEqual([
        { flowId: 'main', day: DAY1, calls: 1, noticeCompleted: 0, abandonedDuringNotice: 0, objections: 0, clauseListens: 0, marketingYes: 0, marketingNo: 0, recorded: 0 },
      ]);
    });
  });
}

/** The model of the overview: per day, flow and language (null last as ''), bytewise order. */
function expectedOverview(calls: readonly SeedCall[], q: Omit<OverviewQuery, 'fromDay' | 'toDay'> = {}): OverviewRow[] {
  const rows = new Map<string, OverviewRow>();
  for (const c of calls) {
    const o = c.open;
    if ((q.flowId !== undefined && o.flowId !== q.flowId) || (q.language !== undefined && o.language !== q.language)) continue;
    const key = `${o.startedAt.slice(0, 10)} ${o.flowId} ${o.language ?? ''}`;
    const r = rows.get(key) ?? { day: o.startedAt.slice(0, 10), flowId: o.flowId, language: o.language ?? null, calls: 0, continued: 0, objected: 0, abandoned: 0, failed: 0, open: 0, clauseListens: 0, marketingYes: 0, marketingNo: 0 };
    const outcome = c.patch.outcome ?? 'open';
    rows.set(key, {
      ...r,
      calls: r.calls + 1,
      [outcome]: r[outcome] + 1,
      clauseListens: r.clauseListens + c.clauseListens,
      marketingYes: r.marketingYes + (c.patch.marketing === 'yes' ? 1 : 0),
      marketingNo: r.marketingNo + (c.patch.marketing === 'no' ? 1 : 0),
    });
  }
  return [...rows.entries()].sort(([a], [b]) => byteOrder(a, b)).map(([, r]) => r);
}

function overview(engine: ReadSideEngine): void {
  describe('the overview by day, flow and language', () => {
    it('counts outcomes, open calls, clause listens and marketing answers, filtered by flow and language', async () => {
      const { side, calls } = await seededLedger(engine);
      const all = expectedOverview(calls);
      expect(await side.queries.overview({ fromDay: DAY1, toDay: DAY2 })).toEqual(all);
      expect(await side.queries.overview({ fromDay: DAY2, toDay: DAY2 })).toEqual(all.filter((r) => r.day === DAY2));
      expect(await side.queries.overview({ fromDay: DAY1, toDay: DAY2, flowId: 'sales' })).toEqual(expectedOverview(calls, { flowId: 'sales' }));
      expect(await side.queries.overview({ fromDay: DAY1, toDay: DAY2, language: 'en' })).toEqual(expectedOverview(calls, { language: 'en' }));
      expect(await side.queries.overview({ fromDay: DAY1, toDay: DAY2, flowId: 'main', language: 'pl' })).toEqual(expectedOverview(calls, { flowId: 'main', language: 'pl' }));
      expect(await side.queries.overview({ fromDay: '2026-02-01', toDay: '2026-02-28' })).toEqual([]);
      // The seed exercises every counter and a call with no language.
      for (const k of ['continued', 'objected', 'abandoned', 'failed', 'open', 'clauseListens', 'marketingYes', 'marketingNo'] as const) {
        expect(all.reduce((sum, r) => sum + r[k], 0), k).toBeGreaterThan(0);
      }
      expect(all.some((r) => r.language === null)).toBe(true);
      expect(all.reduce((sum, r) => sum + r.calls, 0)).toBe(calls.length);
    });

    it('moves a call with its figures when its language, outcome or marketing answer comes later, clause listens included', async () => {
      const ledger = await engine.ledger();
      const store = await ledger.store();
      const open: CallOpen = { callId: 'late', startedAt: `${DAY1}T10:00:00.000Z`, flowId: 'main', did: '+48221111111', legalBasis: 'x', server: null, language: null };
      await store.append({ callId: 'late', kind: 'call.started', data: {} }, { callOpen: open });
      await store.append({ callId: 'late', kind: 'clause.listened', data: {} });
      const side = await ledger.readSide();
      const row = async () => side.queries.overview({ fromDay: DAY1, toDay: DAY1 });
      const zero = { continued: 0, objected: 0, abandoned: 0, failed: 0, open: 0, clauseListens: 0, marketingYes: 0, marketingNo: 0 };
      expect(await row()).toEqual([{ ...zero, day: DAY1, flowId: 'main', language: null, calls: 1, open: 1, clauseListens: 1 }]);
      await store.append({ callId: 'late', kind: 'prompt.played', data: { step: 'language' } }, { callPatch: { language: 'en' } });
      await store.append({ callId: 'late', kind: 'clause.listened', data: {} });
      expect(await row()).toEqual([{ ...zero, day: DAY1, flowId: 'main', language: 'en', calls: 1, open: 1, clauseListens: 2 }]);
      await store.append({ callId: 'late', kind: 'call.continued', data: {} }, { callPatch: { outcome: 'continued', marketing: 'yes', recording: 'yes' } });
      await store.append({ callId: 'late', kind: 'call.ended', data: {} }, { callPatch: { endedAt: `${DAY1}T10:05:00.000Z` } });
      expect(await row()).toEqual([{ ...zero, day: DAY1, flowId: 'main', language: 'en', calls: 1, continued: 1, clauseListens: 2, marketingYes: 1 }]);
      expect(await side.queries.overview({ fromDay: DAY1, toDay: DAY1, language: 'en' })).toHaveLength(1);
      expect(await side.queries.overview({ fromDay: DAY1, toDay: DAY1, language: 'pl' })).toEqual([]);
    });
  });
}

function reads(engine: ReadSideEngine): void {
  describe('events by seq and verification', () => {
    it('eventsBySeq gives the ones that exist, in seq order', async () => {
      const { side, events } = await seededLedger(engine);
      expect(await side.queries.eventsBySeq([5, 1, 99_999, 3, 1.5, 5])).toEqual([events[0], events[2], events[4]]);
      expect(await side.queries.eventsBySeq([])).toEqual([]);
    });

    it('verifies the whole chain and ranges, reporting progress', async () => {
      const { side, events } = await seededLedger(engine);
      const head = events[events.length - 1]!;
      const seen: number[] = [];
      expect(await side.queries.verifyLedger({}, { progressEvery: 50, onProgress: (p) => seen.push(p.lastSeq) })).toEqual({
        ok: true,
        checked: events.length,
        headHash: head.hash,
      });
      expect(seen).toEqual(Array.from({ length: Math.floor(events.length / 50) }, (_, i) => 50 * (i + 1)));
      expect(await side.queries.verifyLedger({ fromSeq: 40, toSeq: 90 })).toEqual({ ok: true, checked: 51, headHash: events[89]!.hash });
    });

    it('reports the first broken link after tampering', async () => {
      const { ledger, side } = await seededLedger(engine);
      await ledger.tamper.setData(77, '{"step":"menu","playback":"skipped"}');
      expect(await side.queries.verifyLedger()).toEqual({ ok: false, checked: 76, brokenAt: 77, reason: 'hash_mismatch' });
      await ledger.tamper.delete(30);
      expect(await side.queries.verifyLedger()).toEqual({ ok: false, checked: 29, brokenAt: 31, reason: 'seq_gap' });
      expect(await side.queries.verifyLedger({ fromSeq: 31 })).toMatchObject({ ok: false, brokenAt: 31, reason: 'seq_gap' });
      expect(await side.queries.verifyLedger({ fromSeq: 32, toSeq: 76 })).toMatchObject({ ok: true, checked: 45 });
    });
  });
}

/** 1,300 events with fixed times and data: the same chain hashes on every engine. */
async function fixedLedger(engine: ReadSideEngine) {
  const ledger = await engine.ledger();
  const store = await ledger.store();
  const events: StoredEvent[] = [];
  const grow = async (n: number) => {
    const from = events.length;
    const batch = Array.from({ length: n }, (_, k) => {
      const i = from + k;
      return store.append({ callId: `m${i % 5}`, kind: 'dtmf.received', data: { digit: String(i % 10), i }, at: new Date(Date.UTC(2026, 2, 1, 9) + i).toISOString() });
    });
    events.push(...(await Promise.all(batch)));
  };
  return { ledger, events, grow };
}

const hex = (b: Buffer) => b.toString('hex');

/** Roots of the fixed ledger, the same for every engine (and for MemoryTree). */
const PINNED_ROOTS: Record<number, string> = {
  300: 'b605cc18b2d37e7078f7067336a1a9a181f99155e256bed2da37d7dfc2a1b9f2',
  1300: '9b9712fd1e146dee49b89ac458eea45192b1af4eb7f2770cd8bea764b43fd4ea',
};

function merkle(engine: ReadSideEngine): void {
  describe('Merkle tree', () => {
    it('roots, audit paths and consistency proofs equal the in-memory tree (and the pinned roots) while it grows', async () => {
      const { ledger, events, grow } = await fixedLedger(engine);
      const side = await ledger.readSide();
      for (const n of [300, 213, 511, 276]) {
        await grow(n);
        const size = await side.tree.size();
        expect(size).toBe(events.length);
        await side.tree.extend(size);
        const mem = new MemoryTree(events.map((e) => eventLeafHash(e.hash)));
        const src = side.tree.source();
        const root = hex(await treeRoot(src, size));
        expect(root).toBe(hex(await treeRoot(mem, size)));
        if (PINNED_ROOTS[size]) expect(root, `pinned root at ${size}`).toBe(PINNED_ROOTS[size]);
        for (const m of [0, 1, 255, 256, 257, 511, 512, 1023, size - 2, size - 1]) {
          if (m < 0 || m >= size) continue;
          const path = await inclusionPath(src, m, size);
          expect(path.map(hex), `leaf ${m} of ${size}`).toEqual((await inclusionPath(mem, m, size)).map(hex));
          expect(verifyInclusion(eventLeafHash(events[m]!.hash), m, size, path, Buffer.from(root, 'hex'))).toBe(true);
        }
        for (const old of [1, 256, 300, 513, size]) {
          if (old > size) continue;
          const proof = await consistencyProof(src, old, size);
          expect(proof.map(hex), `${old} → ${size}`).toEqual((await consistencyProof(mem, old, size)).map(hex));
          expect(verifyConsistency(old, size, await treeRoot(mem, old), Buffer.from(root, 'hex'), proof)).toBe(true);
        }
      }
      // The cache holds exactly the complete aligned subtrees of 256+ leaves, each correct.
      const mem = new MemoryTree(events.map((e) => eventLeafHash(e.hash)));
      const want: { level: number; idx: number; hash: string }[] = [];
      for (let level = 8; 2 ** level <= events.length; level++) {
        for (let idx = 0; (idx + 1) * 2 ** level <= events.length; idx++) {
          want.push({ level, idx, hash: hex(await mem.subtree(idx * 2 ** level, (idx + 1) * 2 ** level)) });
        }
      }
      expect(await ledger.merkleNodes()).toEqual(want);
    });

    it('a missing event stops the tree with EVIDENCE_LEDGER_GAP', async () => {
      const { ledger, grow } = await fixedLedger(engine);
      await grow(600);
      await ledger.tamper.delete(100);
      const side = await ledger.readSide();
      await expect(side.tree.extend(600)).rejects.toMatchObject({ code: 'EVIDENCE_LEDGER_GAP' });
      await expect(treeRoot(side.tree.source(), 80)).resolves.toBeInstanceOf(Buffer);
      await expect(inclusionPath(side.tree.source(), 5, 200)).rejects.toMatchObject({ code: 'EVIDENCE_LEDGER_GAP' });
    });
  });
}

/** A checkpoint signing key in a temp directory removed after the test. */
export function testSigner(name = 'consentline.test/contract') {
  const dir = mkdtempSync(join(tmpdir(), 'consentline-readside-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return loadOrCreateSigner(join(dir, 'key.pem'), name).signer;
}

function checkpoints(engine: ReadSideEngine): void {
  describe('checkpoints', () => {
    it('signs, finds latest, by size and covering; proves inclusion and consistency against them', async () => {
      const { ledger, events, grow } = await fixedLedger(engine);
      const side = await ledger.readSide();
      const key = testSigner();
      let t = Date.parse('2026-03-05T12:00:00.000Z');
      const service: CheckpointService = readSideCheckpoints(side, { signer: key, clock: { now: () => t++ } });
      expect(await service.latest()).toBeNull();

      await grow(300);
      const first = await service.create();
      expect(first).toMatchObject({ ok: true, created: true, checkpoint: { treeSize: 300, rootHash: PINNED_ROOTS[300], origin: key.name, keyId: key.keyHash.toString('hex') } });
      const again = await service.create();
      expect(again).toMatchObject({ ok: true, created: false });
      if (!first.ok || !again.ok) throw new Error('unreachable');
      expect(again.checkpoint).toEqual(first.checkpoint);
      const opened = openNote(first.checkpoint.note, parseVerifierKey(key.verifierKey)!);
      expect(opened.ok && parseCheckpointText(opened.text)).toMatchObject({ treeSize: 300 });

      await grow(1000);
      const second = await service.create();
      if (!second.ok) throw new Error('second checkpoint refused');
      expect(second.checkpoint).toMatchObject({ treeSize: 1300, rootHash: PINNED_ROOTS[1300], createdAt: '2026-03-05T12:00:00.001Z' });
      expect(second.checkpoint.id).toBeGreaterThan(first.checkpoint.id);

      const repo = side.checkpointRepo;
      expect(await repo.latest()).toEqual(second.checkpoint);
      expect(await repo.bySize(300)).toEqual(first.checkpoint);
      expect(await repo.bySize(301)).toBeNull();
      expect(await repo.covering(1)).toEqual(first.checkpoint);
      expect(await repo.covering(300)).toEqual(first.checkpoint);
      expect(await repo.covering(301)).toEqual(second.checkpoint);
      expect(await repo.covering(1301)).toBeNull();

      const root = Buffer.from(second.checkpoint.rootHash, 'hex');
      for (const seq of [1, 300, 777, 1300]) {
        const proof = await service.inclusion(seq, 1300);
        expect(verifyInclusion(eventLeafHash(events[seq - 1]!.hash), seq - 1, 1300, proof.auditPath.map((b) => Buffer.from(b, 'base64')), root)).toBe(true);
      }
      const consistency = (await service.consistency(300, 1300)).map((b) => Buffer.from(b, 'base64'));
      expect(verifyConsistency(300, 1300, Buffer.from(first.checkpoint.rootHash, 'hex'), root, consistency)).toBe(true);

      // covering() signs a new one only when none covers the size.
      await grow(5);
      expect(await service.covering(1300)).toMatchObject({ ok: true, created: false, checkpoint: { treeSize: 1300 } });
      expect(await service.covering(1302)).toMatchObject({ ok: true, created: true, checkpoint: { treeSize: 1305 } });
    });

    it('a first checkpoint on scan threads signs the root and builds the cache the calling thread would', async () => {
      const { ledger, events, grow } = await fixedLedger(engine);
      await grow(1300);
      const service = readSideCheckpoints(await ledger.readSide({ scan: { threads: 2, threadedFrom: 0 } }), { signer: testSigner() });
      expect(await service.create()).toMatchObject({ ok: true, created: true, checkpoint: { treeSize: 1300, rootHash: PINNED_ROOTS[1300] } });
      const mem = new MemoryTree(events.map((e) => eventLeafHash(e.hash)));
      const nodes = await ledger.merkleNodes();
      expect(nodes.filter((n) => n.level === 8).map((n) => n.hash)).toEqual(
        await Promise.all([0, 1, 2, 3, 4].map(async (i) => hex(await mem.subtree(i * 256, (i + 1) * 256)))),
      );
      expect(nodes.find((n) => n.level === 10)?.hash).toBe(hex(await mem.subtree(0, 1024)));
      await grow(300);
      const next = await service.create();
      expect(next).toMatchObject({ ok: true, created: true, checkpoint: { treeSize: 1600 } });
      if (next.ok) expect(next.checkpoint.rootHash).toBe(hex(await treeRoot(new MemoryTree(events.map((e) => eventLeafHash(e.hash))), 1600)));
    });

    // Chunks of 256 events on two threads: 256 ends the first chunk, 257 starts the second.
    for (const [what, harm] of [
      ['edited data', async (l: ReadSideLedger) => l.tamper.setData(700, '{"digit":"0","i":999}')],
      ['an event deleted at the end of a chunk', async (l: ReadSideLedger) => l.tamper.delete(256)],
      ['events deleted across two chunks', async (l: ReadSideLedger) => { await l.tamper.delete(512); await l.tamper.delete(513); }],
      ['a replaced hash', async (l: ReadSideLedger) => l.tamper.setHash(1000, 'ab'.repeat(32))],
    ] as const) {
      it(`scan threads refuse to sign ${what}, naming the event a single verifier names`, async () => {
        const { ledger, grow } = await fixedLedger(engine);
        await grow(1300);
        await harm(ledger);
        const side = await ledger.readSide({ scan: { threads: 2, threadedFrom: 0 } });
        const sequential = await side.queries.verifyLedger({ fromSeq: 1, toSeq: 1300 });
        expect(sequential.ok).toBe(false);
        const progress: number[] = [];
        const service = readSideCheckpoints(side, { signer: testSigner(), onVerifyProgress: (n) => progress.push(n) });
        expect(await service.create()).toEqual({ ok: false, reason: 'ledger_broken', verify: sequential });
        expect(await ledger.merkleNodes()).toEqual([]);
        expect(progress).toEqual([...progress].sort((a, b) => a - b));
      });
    }

    it('signs rows the database link text leaves to the exact path (escapes, \\u, U+FFFD, non-canonical stored text)', async () => {
      const odd = ['plain', 'quote " and backslash \\', 'line\nbreak', 'bell \u0007', 'żółw 😀', 'replacement \ufffd'];
      for (const scan of [{ threads: 2, threadedFrom: 0 }, {}]) {
        const ledger = await engine.ledger();
        const store = await ledger.store();
        const appended = await Promise.all(
          Array.from({ length: 600 }, (_, i) => {
            const note = odd[i % odd.length]!;
            return store.append({ callId: i % 7 === 0 ? `c ${note}` : `c${i % 3}`, kind: 'dtmf.received', data: { digit: String(i % 10), note, i } });
          }),
        );
        const events = appended.sort((a, b) => a.seq - b.seq);
        // The same value stored as other text: the exact path re-encodes it to what was hashed.
        await ledger.tamper.setData(300, JSON.stringify(events[299]!.data, null, 1));
        const side = await ledger.readSide({ scan });
        expect(await side.queries.verifyLedger({ fromSeq: 1, toSeq: 600 })).toMatchObject({ ok: true, checked: 600 });
        const root = hex(await treeRoot(new MemoryTree(events.map((e) => eventLeafHash(e.hash))), 600));
        expect(await readSideCheckpoints(side, { signer: testSigner() }).create()).toMatchObject({ ok: true, created: true, checkpoint: { treeSize: 600, rootHash: root } });
      }
    });

    it('refuses to sign a broken chain', async () => {
      const { ledger, grow } = await fixedLedger(engine);
      await grow(50);
      await ledger.tamper.setData(20, '{"digit":"0","i":999}');
      const service = readSideCheckpoints(await ledger.readSide(), { signer: testSigner() });
      expect(await service.create()).toMatchObject({ ok: false, reason: 'ledger_broken', verify: { brokenAt: 20, reason: 'hash_mismatch' } });
      expect(await service.latest()).toBeNull();
    });
  });
}

/** Runs the whole read-side contract against `engine`. */
export function readSideContract(engine: ReadSideEngine): void {
  describe(`read side contract: ${engine.name}`, () => {
    for (const section of [search, timelines, stats, overview, reads, merkle, checkpoints]) section(engine);
  });
}
