import { afterEach, describe, expect, it } from 'vitest';
import { ObjectStoreError } from '../../src/recordings/storage/errors.js';
import type { ObjectStore } from '../../src/recordings/storage/port.js';
import type { MarketingRegistryRepo } from '../../src/evidence/marketing-rows.js';
import { openSqliteReadSide } from '../../src/evidence/open-read-side.js';
import { lookupKey } from '../../src/evidence/subject.js';
import { DAY, deletionEvents, dpo, PEPPER, recordingState, retentionWorld, type RetentionWorld } from './helpers.js';

let w: RetentionWorld | null = null;
afterEach(async () => {
  await w?.close();
  w = null;
});

const T0 = '2026-01-10T08:00:00.000Z';
const at = (ms: number) => new Date(Date.parse(T0) + ms).toISOString();

describe('retention sweep: recordings', () => {
  it('keeps a recording one ms before its due time and deletes it at the due time, with one ledger event', async () => {
    w = await retentionWorld();
    const { recordingId, key } = await w.addCall({ startedAt: T0 }); // flow main: 10 days
    const svc = w.service();
    w.clock.t = Date.parse(T0) + 10 * DAY - 1;
    const before = await svc.sweep();
    expect(before.status).toBe('done');
    if (before.status === 'busy') throw new Error();
    expect(before.recordings.deleted).toBe(0);
    expect(await w.local.head(key!)).not.toBeNull();

    w.clock.t = Date.parse(T0) + 10 * DAY;
    const progress: unknown[] = [];
    const r = await svc.sweep({ onProgress: (p) => progress.push(p) });
    if (r.status === 'busy') throw new Error('busy');
    expect(r.recordings).toMatchObject({ due: 1, deleted: 1, held: 0, locked: 0, failed: 0 });
    expect(progress).toEqual([{ phase: 'recordings', done: 1 }]); // for the CLI's progress line
    expect(await w.local.head(key!)).toBeNull();
    expect(recordingState(w.db, recordingId!)).toBe('deleted');
    expect(deletionEvents(w.db, recordingId!)).toBe(1);
    const ev = w.db.prepare(`SELECT data FROM events WHERE kind = 'recording.deleted'`).get() as { data: string };
    expect(JSON.parse(ev.data)).toMatchObject({ recordingId, reason: 'retention_expired', policyDays: 10, dueAt: at(10 * DAY), capturedAt: T0 });

    const again = await svc.sweep();
    if (again.status === 'busy') throw new Error('busy');
    expect(again.recordings.deleted).toBe(0);
    expect(deletionEvents(w.db, recordingId!)).toBe(1);
    expect((await w.evidence.verify()).ok).toBe(true);
  });

  it('applies a per-flow policy and the global default; a dry run deletes nothing', async () => {
    w = await retentionWorld({ retention: { default: { recordingsDays: 20, evidenceDays: 2190 } } });
    const main = await w.addCall({ startedAt: T0 });
    const sales = await w.addCall({ startedAt: T0, flowId: 'sales' }); // default: 20 days
    const quarantined = await w.addCall({ startedAt: T0 }, { quarantine: true }); // main: 3 days
    w.clock.t = Date.parse(T0) + 10 * DAY;
    const dry = await w.service().sweep({ dryRun: true });
    if (dry.status === 'busy') throw new Error();
    expect(dry.recordings.deleted).toBe(2);
    expect(await w.local.head(main.key!)).not.toBeNull();
    const r = await w.service().sweep();
    if (r.status === 'busy') throw new Error();
    expect(r.recordings.deleted).toBe(2);
    expect(recordingState(w.db, main.recordingId!)).toBe('deleted');
    expect(recordingState(w.db, quarantined.recordingId!)).toBe('deleted');
    expect(recordingState(w.db, sales.recordingId!)).toBe('done');
    const q = w.db.prepare(`SELECT data FROM events WHERE kind = 'recording.deleted' AND json_extract(data, '$.recordingId') = ?`).get(quarantined.recordingId) as { data: string };
    expect(JSON.parse(q.data)).toMatchObject({ reason: 'quarantine_expired', policyDays: 3 });
  });

  it('reports a recording locked until its retain-until date and deletes it once the date has passed', async () => {
    w = await retentionWorld();
    const retainUntil = at(15 * DAY);
    const { recordingId, key } = await w.addCall({ startedAt: T0 }, { retainUntil });
    w.clock.t = Date.parse(T0) + 11 * DAY;
    const r = await w.service().sweep();
    if (r.status === 'busy') throw new Error();
    expect(r.recordings).toMatchObject({ deleted: 0, locked: 1 });
    expect(r.recordings.lockedItems[0]).toMatchObject({ recordingId, retainUntil });
    expect(await w.local.head(key!)).not.toBeNull();
    w.clock.t = Date.parse(retainUntil);
    const later = await w.service().sweep();
    if (later.status === 'busy') throw new Error();
    expect(later.recordings).toMatchObject({ deleted: 1, locked: 0 });
  });

  it('a legal hold on a call, a caller or a flow blocks the sweep until two different DPO tokens release it', async () => {
    w = await retentionWorld();
    const a = await w.addCall({ startedAt: T0 });
    const b = await w.addCall({ startedAt: T0, number: '+48601000001' });
    const c = await w.addCall({ startedAt: T0, flowId: 'sales', number: '+48601000002' });
    const svc = w.service();
    const h1 = await svc.setHold({ scope: 'call', callId: a.callId }, 'court order 12/2026', dpo('t1'));
    const h2 = await svc.setHold({ scope: 'caller', e164: '+48601000001' }, 'complaint', dpo('t1'));
    await svc.setHold({ scope: 'flow', flowId: 'sales' }, 'audit', dpo('t1'));
    w.clock.t = Date.parse(T0) + 3000 * DAY;
    const r = await svc.sweep();
    if (r.status === 'busy') throw new Error();
    expect(r.recordings).toMatchObject({ deleted: 0, held: 3 });
    for (const x of [a, b, c]) expect(await w.local.head(x.key!)).not.toBeNull();

    expect((await svc.releaseHold(h1.id, dpo('t1'), 'case closed')).status).toBe('requested');
    expect((await svc.releaseHold(h1.id, dpo('t1'), null)).status).toBe('same_person');
    expect((await svc.hold(h1.id))!.active).toBe(true);
    const rel = await svc.releaseHold(h1.id, dpo('t2'), null);
    expect(rel.status).toBe('released');
    expect((await svc.releaseHold(h1.id, dpo('t3'), null)).status).toBe('not_active');

    const r2 = await svc.sweep();
    if (r2.status === 'busy') throw new Error();
    expect(r2.recordings).toMatchObject({ deleted: 1, held: 2 });
    expect(recordingState(w.db, a.recordingId!)).toBe('deleted');
    expect((await svc.hold(h2.id))!.active).toBe(true);

    const kinds = (w.db.prepare(`SELECT kind, data FROM events WHERE kind LIKE 'hold.%' ORDER BY seq`).all() as { kind: string; data: string }[]).map((e) => [e.kind, JSON.parse(e.data)]);
    expect(kinds.map(([k]) => k)).toEqual(['hold.set', 'hold.set', 'hold.set', 'hold.released']);
    expect(kinds[3]![1]).toMatchObject({ holdId: h1.id, requestedBy: 't1', approvedBy: 't2' });
    // A caller hold names the calls, never the number or its look-up key.
    expect(JSON.stringify(kinds[1]![1])).not.toMatch(/601000001/);
    expect(kinds[1]![1]).toMatchObject({ scope: 'caller', callIds: [b.callId] });
  });

  it('finishes a run that crashed between marking and deleting: each item deleted once, one ledger event each', async () => {
    w = await retentionWorld({ retention: { batchSize: 2, leaseSeconds: 30 } });
    const items = [];
    for (let i = 0; i < 5; i++) items.push(await w.addCall({ startedAt: T0 }));
    w.clock.t = Date.parse(T0) + 11 * DAY;
    let crashed = false;
    const local = w.local;
    const crashing = w.service({
      hooks: {
        afterMark: async (ids) => {
          if (crashed) return;
          crashed = true;
          // Half of the batch reached the store before the "crash", the rest did not.
          const row = w!.db.prepare('SELECT object_key FROM recordings WHERE id = ?').get(ids[0]) as { object_key: string };
          await local.delete([row.object_key]);
          throw new Error('simulated crash after marking');
        },
      },
    });
    await expect(crashing.sweep()).rejects.toThrow(/simulated crash/);
    const marks = w.db.prepare(`SELECT count(*) AS n FROM retention_deletions WHERE state = 'deleting'`).get() as { n: number };
    expect(marks.n).toBe(2);
    // The lease of the dead run is still there; a fresh run waits for it to expire.
    w.db.prepare(`UPDATE retention_leases SET expires_at = 0`).run();
    const r = await w.service().sweep();
    if (r.status === 'busy') throw new Error('busy');
    expect(r.recordings.resumed).toBe(2);
    expect(r.recordings.alreadyAbsent).toBe(1);
    for (const it of items) {
      expect(recordingState(w.db, it.recordingId!)).toBe('deleted');
      expect(deletionEvents(w.db, it.recordingId!)).toBe(1);
      expect(await w.local.head(it.key!)).toBeNull();
    }
  });

  it('two sweeps at once: one holds the lease, the other reports busy; one deletion event per item', async () => {
    w = await retentionWorld({ retention: { batchSize: 3 } });
    const items = [];
    for (let i = 0; i < 8; i++) items.push(await w.addCall({ startedAt: T0 }));
    w.clock.t = Date.parse(T0) + 11 * DAY;
    const [a, b] = await Promise.all([w.service().sweep(), w.service().sweep()]);
    const statuses = [a.status, b.status].sort();
    expect(statuses).toEqual(['busy', 'done']);
    const done = a.status === 'done' ? a : b;
    if (done.status === 'busy') throw new Error();
    expect(done.recordings.deleted).toBe(8);
    for (const it of items) expect(deletionEvents(w.db, it.recordingId!)).toBe(1);
    // After the first run the lease is free again: a second run finds nothing left to do.
    const c = await w.service().sweep();
    if (c.status === 'busy') throw new Error('busy');
    expect(c.recordings.deleted).toBe(0);
  });

  it('a lease that expired and was taken over stops the older run without double deletion', async () => {
    w = await retentionWorld({ retention: { batchSize: 1, leaseSeconds: 5 } });
    const items = [];
    for (let i = 0; i < 4; i++) items.push(await w.addCall({ startedAt: T0 }));
    w.clock.t = Date.parse(T0) + 11 * DAY;
    let second: Promise<unknown> | null = null;
    const slow = w.service({
      hooks: {
        afterMark: async () => {
          if (second) return;
          // The first run stalls past its lease; a second instance takes over.
          w!.clock.t += 6_000;
          second = w!.service().sweep();
          await second;
        },
      },
    });
    const first = await slow.sweep();
    expect(first.status).toBe('lease_lost');
    const r2 = await (second as unknown as Promise<{ status: string }>);
    expect(r2.status).toBe('done');
    const again = await w.service().sweep();
    expect(again.status).toBe('done');
    for (const it of items) {
      expect(recordingState(w.db, it.recordingId!)).toBe('deleted');
      expect(deletionEvents(w.db, it.recordingId!)).toBe(1);
    }
  });

  it('object-store errors are retried; what still fails is reported, never counted as deleted, and deleted by a later run', async () => {
    let failures = 0;
    let down = false;
    w = await retentionWorld({
      retention: { deleteAttempts: 3 },
      store: (local) =>
        new Proxy(local, {
          get(target, prop, receiver) {
            if (prop === 'delete') {
              return async (...args: Parameters<ObjectStore['delete']>) => {
                if (down || failures > 0) {
                  if (failures > 0) failures--;
                  throw new ObjectStoreError('UNAVAILABLE', 'delete: ECONNREFUSED');
                }
                return target.delete(args[0]);
              };
            }
            const v = Reflect.get(target, prop, receiver) as unknown;
            return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
          },
        }) as ObjectStore,
    });
    const a = await w.addCall({ startedAt: T0 });
    w.clock.t = Date.parse(T0) + 11 * DAY;
    failures = 2; // two failed attempts, the third succeeds
    const r1 = await w.service().sweep();
    if (r1.status === 'busy') throw new Error();
    expect(r1.recordings).toMatchObject({ deleted: 1, failed: 0 });

    const b = await w.addCall({ startedAt: T0 });
    down = true;
    const r2 = await w.service().sweep();
    if (r2.status === 'busy') throw new Error();
    expect(r2.recordings).toMatchObject({ deleted: 0, failed: 1 });
    expect(r2.recordings.failedItems[0]).toMatchObject({ recordingId: b.recordingId, attempts: 3 });
    expect(r2.recordings.failedItems[0]!.detail).toMatch(/UNAVAILABLE/);
    expect(recordingState(w.db, b.recordingId!)).toBe('done');
    expect(deletionEvents(w.db, b.recordingId!)).toBe(0);
    expect(await w.local.head(b.key!)).not.toBeNull();

    down = false;
    const r3 = await w.service().sweep();
    if (r3.status === 'busy') throw new Error();
    expect(r3.recordings).toMatchObject({ deleted: 1, failed: 0 });
    expect(deletionEvents(w.db, b.recordingId!)).toBe(1);
    expect(deletionEvents(w.db, a.recordingId!)).toBe(1);
  });

  it('a policy change applies to existing recordings by their capture time', async () => {
    w = await retentionWorld({ flows: [{ id: 'main', retention: { recordingsDays: 100 } }] });
    const { recordingId } = await w.addCall({ startedAt: T0 });
    w.clock.t = Date.parse(T0) + 50 * DAY;
    const r = await w.service().sweep();
    if (r.status === 'busy') throw new Error();
    expect(r.recordings.deleted).toBe(0);
    const shorter = await retentionWorld({ flows: [{ id: 'main', retention: { recordingsDays: 30 } }] });
    // The same rows under the new policy: the due date is computed now, not stored.
    const { resolvePolicies } = await import('../../src/retention/policy.js');
    const svc = w.service({ policies: resolvePolicies({ default: { recordingsDays: 90, evidenceDays: 2190 } }, [{ id: 'main', retention: { recordingsDays: 30 } }], { quarantineDays: 7 }) });
    await shorter.close();
    const r2 = await svc.sweep();
    if (r2.status === 'busy') throw new Error();
    expect(r2.recordings.deleted).toBe(1);
    expect(recordingState(w.db, recordingId!)).toBe('deleted');
  });
});

describe('retention sweep: evidence', () => {
  it('erases the caller data behind a call at its evidence due time; the chain keeps verifying', async () => {
    w = await retentionWorld();
    const { callId } = await w.addCall({ startedAt: T0 }, { recording: false }); // main: evidence 30 days
    const subjects = () => (w!.db.prepare('SELECT count(*) AS n FROM subjects WHERE call_id = ?').get(callId) as { n: number }).n;
    const lookup = () => (w!.db.prepare('SELECT caller_lookup, caller_masked FROM calls WHERE call_id = ?').get(callId) as { caller_lookup: string | null; caller_masked: string | null });
    w.clock.t = Date.parse(T0) + 30 * DAY - 1;
    const before = await w.service().sweep();
    if (before.status === 'busy') throw new Error();
    expect(before.evidence.erased).toBe(0);
    expect(subjects()).toBe(1);
    w.clock.t = Date.parse(T0) + 30 * DAY;
    const r = await w.service().sweep();
    if (r.status === 'busy') throw new Error();
    expect(r.evidence).toMatchObject({ due: 1, erased: 1 });
    expect(subjects()).toBe(0);
    expect(lookup()).toEqual({ caller_lookup: null, caller_masked: null });
    expect((await w.evidence.callEvents(callId)).filter((e) => e.kind === 'retention.deleted')).toHaveLength(1);
    expect(await w.evidence.verify()).toMatchObject({ ok: true });
    const r2 = await w.service().sweep();
    if (r2.status === 'busy') throw new Error();
    expect(r2.evidence.due).toBe(0);
  });
});

describe('retention sweep and the marketing registry', () => {
  // The registry as the API reads it: the read side on its own connection.
  const withRegistry = async <T>(fn: (registry: MarketingRegistryRepo) => Promise<T>): Promise<T> => {
    const side = openSqliteReadSide(w!.path);
    try {
      return await fn(side.marketing);
    } finally {
      await side.close();
    }
  };
  const subjectsOf = (callId: string) => (w!.db.prepare('SELECT count(*) AS n FROM subjects WHERE call_id = ?').get(callId) as { n: number }).n;
  const stateOf = async (number: string) => (await withRegistry((r) => r.lookup([lookupKey(PEPPER, number)]))).get(lookupKey(PEPPER, number));

  it('keeps the call an entry rests on (given or withdrawn), erases the calls it no longer rests on; --check stays clean', async () => {
    w = await retentionWorld(); // main: evidence 30 days; sales: the default (6 years)
    const given = await w.addCall({ startedAt: T0, number: '+48600000001', marketing: 'yes' }, { recording: false });
    const later = await w.addCall({ startedAt: at(DAY), number: '+48600000001', flowId: 'sales' }, { recording: false }); // same caller, no question
    const olderYes = await w.addCall({ startedAt: T0, number: '+48600000002', flowId: 'sales', marketing: 'yes' }, { recording: false });
    const refused = await w.addCall({ startedAt: at(DAY), number: '+48600000002', marketing: 'no' }, { recording: false });
    const superseded = await w.addCall({ startedAt: T0, number: '+48600000003', marketing: 'yes' }, { recording: false });
    const current = await w.addCall({ startedAt: at(DAY), number: '+48600000003', flowId: 'sales', marketing: 'no' }, { recording: false });
    w.clock.t = Date.parse(T0) + 40 * DAY;
    const dry = await w.service().sweep({ dryRun: true });
    if (dry.status === 'busy') throw new Error();
    expect(dry.evidence).toMatchObject({ due: 3, erased: 1, consentKept: 2 });
    const r = await w.service().sweep();
    if (r.status === 'busy') throw new Error();
    expect(r.evidence).toMatchObject({ due: 3, erased: 1, held: 0, consentKept: 2 });
    expect(new Set(r.evidence.consentKeptCallIds)).toEqual(new Set([given.callId, refused.callId]));
    expect(subjectsOf(given.callId)).toBe(1);
    expect(subjectsOf(refused.callId)).toBe(1);
    expect(subjectsOf(superseded.callId)).toBe(0); // the entry rests on the later refusal
    for (const c of [later, olderYes, current]) expect(subjectsOf(c.callId)).toBe(1);
    expect(await stateOf('+48600000001')).toMatchObject({ state: 'given', callId: given.callId });
    expect(await stateOf('+48600000002')).toMatchObject({ state: 'withdrawn', callId: refused.callId });
    expect(await stateOf('+48600000003')).toMatchObject({ state: 'withdrawn', callId: current.callId });
    expect(await withRegistry((r) => r.check())).toEqual({ entries: 3, differences: [] });
    expect(await w.evidence.verify()).toMatchObject({ ok: true });
  });

  it('a held call behind an entry is reported as held; a full erasure still forgets the caller (state none)', async () => {
    w = await retentionWorld();
    const given = await w.addCall({ startedAt: T0, number: '+48600000004', marketing: 'yes' }, { recording: false });
    const svc = w.service();
    await svc.setHold({ scope: 'call', callId: given.callId }, 'complaint', dpo('t1'));
    w.clock.t = Date.parse(T0) + 40 * DAY;
    const r = await svc.sweep();
    if (r.status === 'busy') throw new Error();
    expect(r.evidence).toMatchObject({ due: 1, held: 1, consentKept: 0, erased: 0 });
    expect(await withRegistry((r) => r.check())).toEqual({ entries: 1, differences: [] });
  });
});
