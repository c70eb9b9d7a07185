import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalBody,
  canonicalBodyFromParts,
  canonicalJson,
  GENESIS_HASH,
  hashEvent,
  verifyChain,
  type ChainBody,
} from '../../src/evidence/chain.js';
import type { StoredEvent } from '../../src/evidence/types.js';

function chainOf(n: number, from = 1, prev = GENESIS_HASH): StoredEvent[] {
  const out: StoredEvent[] = [];
  for (let seq = from; seq < from + n; seq++) {
    const body: ChainBody = { seq, callId: `c${seq % 2}`, at: '2026-03-01T09:00:00.000Z', kind: 'dtmf.received', data: { digit: String(seq % 10) } };
    const hash = hashEvent(prev, body);
    out.push({ ...body, prevHash: prev, hash });
    prev = hash;
  }
  return out;
}

describe('chain encoding', () => {
  it('hashes SHA-256 of the previous hash then the JCS body (pinned vector)', () => {
    const body: ChainBody = { seq: 1, callId: 'c1', at: '2026-01-01T00:00:00.000Z', kind: 'call.started', data: { b: 'x', a: 1 } };
    const text = '{"at":"2026-01-01T00:00:00.000Z","callId":"c1","data":{"a":1,"b":"x"},"kind":"call.started","seq":1}';
    expect(canonicalBody(body)).toBe(text);
    expect(hashEvent(GENESIS_HASH, body)).toBe(createHash('sha256').update(GENESIS_HASH + text).digest('hex'));
  });

  it('the writer fast path encodes exactly as the generic JCS encoder', () => {
    const json = fc.jsonValue().map((v) => ({ v }));
    fc.assert(
      fc.property(fc.nat(), fc.option(fc.string()), fc.string(), json, (seq, callId, at, data) => {
        const body = { seq, callId, at, kind: 'prompt.played', data } as ChainBody;
        expect(canonicalBodyFromParts(seq, callId, at, body.kind, canonicalJson(data))).toBe(canonicalBody(body));
      }),
      { numRuns: 300 },
    );
  });

  it('refuses values JSON cannot carry', () => {
    expect(() => canonicalJson({ x: Number.NaN })).toThrow();
    expect(() => canonicalJson({ x: '\ud800' })).toThrow();
    expect(() => canonicalJson(undefined)).toThrow();
  });
});

describe('verifyChain', () => {
  it('accepts an intact chain and reports the head', async () => {
    const events = chainOf(5);
    expect(await verifyChain(events)).toEqual({ ok: true, checked: 5, headHash: events[4]!.hash });
  });

  it('accepts an empty chain with the genesis head', async () => {
    expect(await verifyChain([])).toEqual({ ok: true, checked: 0, headHash: GENESIS_HASH });
  });

  it('reports hash_mismatch for changed content', async () => {
    const events = chainOf(5);
    events[2] = { ...events[2]!, data: { digit: '9' } };
    expect(await verifyChain(events)).toEqual({ ok: false, checked: 2, brokenAt: 3, reason: 'hash_mismatch' });
  });

  it('reports prev_hash_mismatch when an event was re-hashed after a change', async () => {
    const events = chainOf(5);
    const changed = { ...events[1]!, data: { digit: '0' } };
    events[1] = { ...changed, hash: hashEvent(changed.prevHash, changed) };
    expect(await verifyChain(events)).toEqual({ ok: false, checked: 2, brokenAt: 3, reason: 'prev_hash_mismatch' });
  });

  it('reports seq_gap for a missing event', async () => {
    const events = chainOf(5);
    events.splice(3, 1);
    expect(await verifyChain(events)).toEqual({ ok: false, checked: 3, brokenAt: 5, reason: 'seq_gap' });
  });

  it('reports seq_order for events out of order or repeated', async () => {
    const events = chainOf(5);
    expect(await verifyChain([events[0]!, events[1]!, events[0]!])).toMatchObject({ ok: false, brokenAt: 1, reason: 'seq_order' });
  });

  it('verifies a slice from an anchor', async () => {
    const events = chainOf(10);
    const anchor = { seq: 4, hash: events[3]!.hash };
    expect(await verifyChain(events.slice(4), { anchor })).toEqual({ ok: true, checked: 6, headHash: events[9]!.hash });
    expect(await verifyChain(events.slice(5), { anchor })).toMatchObject({ ok: false, brokenAt: 6, reason: 'seq_gap' });
  });

  it('streams: pulls events lazily and reports progress', async () => {
    let pulled = 0;
    const events = chainOf(50);
    async function* source() {
      for (const e of events) {
        pulled += 1;
        yield e;
      }
    }
    const seen: number[] = [];
    const result = await verifyChain(source(), { progressEvery: 20, onProgress: (p) => seen.push(p.lastSeq) });
    expect(result.ok).toBe(true);
    expect(seen).toEqual([20, 40]);

    pulled = 0;
    events[9] = { ...events[9]!, hash: GENESIS_HASH };
    await verifyChain(source());
    expect(pulled).toBe(10);
  });
});
