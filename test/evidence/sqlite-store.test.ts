import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, hashEvent } from '../../src/evidence/chain.js';
import { EvidenceError } from '../../src/evidence/errors.js';
import { createSubject } from '../../src/evidence/subject.js';
import { callOpen, openTestStore, tempDbPath } from './helpers.js';

async function rejection(p: Promise<unknown>): Promise<EvidenceError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EvidenceError);
  return err as EvidenceError;
}

describe('SqliteEvidenceStore', () => {
  it('chains appends from genesis and reads them back', async () => {
    const store = await openTestStore();
    const a = await store.append({ callId: 'c1', kind: 'call.started', data: { flowId: 'main' } });
    const b = await store.append({ callId: 'c1', kind: 'prompt.played', data: { promptId: 'notice', sha256: 'ab'.repeat(32) }, at: '2026-03-01T09:00:05.000Z' });

    expect(a).toMatchObject({ seq: 1, prevHash: GENESIS_HASH, at: '2026-03-01T09:00:00.000Z' });
    expect(a.hash).toBe(hashEvent(GENESIS_HASH, a));
    expect(b).toMatchObject({ seq: 2, prevHash: a.hash, at: '2026-03-01T09:00:05.000Z' });
    expect(await store.callEvents('c1')).toEqual([a, b]);
    expect(await store.head()).toEqual({ seq: 2, hash: b.hash });
    expect(await store.verify()).toEqual({ ok: true, checked: 2, headHash: b.hash });
  });

  it('keeps the events after close and reopen, and continues the chain', async () => {
    const path = tempDbPath();
    const first = await openTestStore(path);
    const a = await first.append({ callId: null, kind: 'hold.set', data: { holdId: 'h1' } });
    await first.close();

    const again = await openTestStore(path);
    expect(await again.callEvents('c1')).toEqual([]);
    const b = await again.append({ callId: 'c1', kind: 'call.started', data: {} });
    expect(b).toMatchObject({ seq: 2, prevHash: a.hash });
    expect(await again.verify()).toMatchObject({ ok: true, checked: 2 });
  });

  it('writes the call projection and the subject in the same transaction as the event', async () => {
    const store = await openTestStore();
    const subject = createSubject('+48600123456', 'pepper');
    await store.append(
      { callId: 'c1', kind: 'call.started', data: { commitment: subject.commitment } },
      { subject, callOpen: callOpen('c1') },
    );
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

  it('stores data in canonical form and returns what was stored', async () => {
    const path = tempDbPath();
    const store = await openTestStore(path);
    const ev = await store.append({ callId: 'c1', kind: 'dtmf.received', data: { z: 1, a: { y: [1, 'x'], b: null } } });
    expect(ev.data).toEqual({ a: { b: null, y: [1, 'x'] }, z: 1 });
    const db = new Database(path, { readonly: true });
    expect(db.prepare('SELECT data FROM events WHERE seq = 1').pluck().get()).toBe('{"a":{"b":null,"y":[1,"x"]},"z":1}');
    db.close();
  });

  it('rejects a malformed append alone, before it can fail a batch', async () => {
    const store = await openTestStore();
    const good = store.append({ callId: 'c1', kind: 'call.started', data: {} });
    const bad = [
      store.append({ callId: 'c1', kind: 'no.such.kind' as 'call.started', data: {} }),
      store.append({ callId: 'c1', kind: 'call.ended', data: { x: Number.NaN } }),
      store.append({ callId: 'c1', kind: 'call.ended', data: {}, at: '2026-03-01 09:00' }),
      store.append({ callId: null, kind: 'call.ended', data: {} }, { callPatch: { outcome: 'failed' } }),
      store.append({ callId: 'c1', kind: 'call.ended', data: {} }, { callOpen: callOpen('c2') }),
      store.append({ callId: 'c1', kind: 'call.ended', data: {} }, { callPatch: { outcome: 'maybe' as 'failed' } }),
    ];
    for (const p of bad) expect((await rejection(p)).code).toBe('EVIDENCE_INVALID_EVENT');
    expect(await good).toMatchObject({ seq: 1 });
    expect(await store.verify()).toMatchObject({ ok: true, checked: 1 });
  });

  it('a failed batch rejects every append in it and writes none of it', async () => {
    const store = await openTestStore();
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
    const store = await openTestStore();
    const queued = Array.from({ length: 20 }, (_, i) => store.append({ callId: `c${i}`, kind: 'call.started', data: {} }));
    await store.close();
    expect((await Promise.all(queued)).map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect((await rejection(store.append({ callId: 'c', kind: 'call.started', data: {} }))).code).toBe('EVIDENCE_STORE_CLOSED');
  });

  it('streams events in pages over a range', async () => {
    const store = await openTestStore();
    await Promise.all(Array.from({ length: 2_500 }, (_, i) => store.append({ callId: `c${i % 7}`, kind: 'dtmf.received', data: { i } })));
    const seqs: number[] = [];
    for await (const e of store.events({ fromSeq: 990, toSeq: 2_010 })) seqs.push(e.seq);
    expect(seqs).toEqual(Array.from({ length: 1_021 }, (_, i) => 990 + i));
    expect(await store.verify({ fromSeq: 1_200, toSeq: 2_400 })).toMatchObject({ ok: true, checked: 1_201 });
    expect(await store.verify({ fromSeq: 3_000 })).toMatchObject({ ok: true, checked: 0 });
  });
});
