import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalBodyFromParts, canonicalJson, GENESIS_HASH, linkHash, verifyChain } from '../../src/evidence/chain.js';
import { mergeChunks, planChunks, rowHashMatches } from '../../src/evidence/chain-scan.js';
import { scanChain, scanOneChunk, type ChainRowPages } from '../../src/evidence/chain-scan-pool.js';
import { isCanonicalJson } from '../../src/evidence/jcs-check.js';
import { eventLeafHash, MemoryTree } from '../../src/evidence/merkle.js';
import { toStoredEvent, type EventRow } from '../../src/evidence/sqlite-rows.js';

/** What the exact path decides: is the text the JCS encoding of what it parses to? */
function exactlyCanonical(text: string): boolean {
  try {
    return canonicalJson(JSON.parse(text)) === text;
  } catch {
    return false;
  }
}

describe('isCanonicalJson', () => {
  it('accepts what the writer stores', () => {
    for (const v of [{}, [], { a: 1, b: [true, false, null], c: { d: 'e\n"\\\t' } }, { digit: '1', i: -42 }, { 'é': 'żółw 😀', z: 0 }]) {
      expect(isCanonicalJson(canonicalJson(v)), canonicalJson(v)).toBe(true);
    }
  });

  it('is never true for text that is not exactly canonical', () => {
    for (const t of ['{"b":1,"a":2}', '{"a":1,"a":2}', '{"a": 1}', ' 1', '1 ', '1.0', '1e3', '-0', '01', '1.5', '"\\u0041"', '"\\/"', '"\\u001f"',
      '"\ud800"', '{"\ud800":1}', '[1,]', '{"a":1', 'tru', 'nul', '{"a\\"":1}', '1234567890123456', '"a\u0001"', '']) {
      expect(isCanonicalJson(t), t).toBe(false);
    }
  });

  it('true implies canonical, for arbitrary JSON texts and their canonical forms', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.boolean(), (v, pretty) => {
        const texts = [JSON.stringify(v), JSON.stringify(v, null, pretty ? 1 : 0)];
        try {
          texts.push(canonicalJson(v));
        } catch {
          // values JCS cannot carry have no canonical form to check
        }
        for (const t of texts) if (isCanonicalJson(t)) expect(exactlyCanonical(t), t).toBe(true);
      }),
      { numRuns: 2_000 },
    );
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (t) => !isCanonicalJson(t) || exactlyCanonical(t)), { numRuns: 5_000 });
  });
});

/** A chain of `n` rows as the writer stores them. */
function ledger(n: number): EventRow[] {
  const rows: EventRow[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const data = canonicalJson({ digit: String(seq % 10), i: seq, note: seq % 7 === 0 ? 'a "quoted"\nline' : 'x' });
    const at = new Date(Date.UTC(2026, 0, 1) + seq).toISOString();
    const hash = linkHash(prev, canonicalBodyFromParts(seq, `c${seq % 3}`, at, 'dtmf.received', data));
    rows.push({ seq, call_id: `c${seq % 3}`, at, kind: 'dtmf.received', data, prev_hash: prev, hash });
    prev = hash;
  }
  return rows;
}

const pagesOf = (rows: readonly EventRow[], size = 37): ChainRowPages =>
  async function* (from, to) {
    const sel = rows.filter((r) => r.seq >= from && r.seq <= to);
    for (let i = 0; i < sel.length; i += size) yield sel.slice(i, i + size);
  };

describe('the chain scan', () => {
  it('rowHashMatches agrees with the exact verifier on canonical and non-canonical stored text', () => {
    const [row] = ledger(1);
    expect(rowHashMatches(row!)).toBe(true);
    // The same value stored with a space: the exact path re-encodes it, so it still matches…
    const spaced = { ...row!, data: row!.data.replace(':', ': ') };
    expect(rowHashMatches(spaced)).toBe(true);
    // …and a stored text hashed as it stands but not canonical never does.
    const hashedAsStored = { ...spaced, hash: linkHash(GENESIS_HASH, canonicalBodyFromParts(1, spaced.call_id, spaced.at, 'dtmf.received', spaced.data)) };
    expect(rowHashMatches(hashedAsStored)).toBe(false);
  });

  it('rowHashMatches takes the exact path for \\u escapes in the fixed fields: a control character matches, a lone surrogate never does', () => {
    const row = (callId: string) => {
      const base = { seq: 1, call_id: callId, at: '2026-01-01T00:00:00.000Z', kind: 'dtmf.received', data: '{"digit":"1"}', prev_hash: GENESIS_HASH };
      // The writer cannot hash a lone surrogate (canonicalJson throws): hash the escaped text as an attacker would.
      const text = `{"at":"${base.at}","callId":${JSON.stringify(callId)},"data":${base.data},"kind":"dtmf.received","seq":1}`;
      return { ...base, hash: linkHash(GENESIS_HASH, text) };
    };
    expect(rowHashMatches(row('c\u0001'))).toBe(true);
    expect(rowHashMatches(row('c\ud800'))).toBe(false);
  });

  const harms: [string, (rows: EventRow[]) => EventRow[]][] = [
    ['intact', (r) => r],
    ['data edited', (r) => r.map((x) => (x.seq === 300 ? { ...x, data: '{"digit":"9","i":300,"note":"x"}' } : x))],
    ['deleted at a chunk end', (r) => r.filter((x) => x.seq !== 256)],
    ['deleted across chunks', (r) => r.filter((x) => x.seq < 500 || x.seq > 600)],
    ['prev_hash changed', (r) => r.map((x) => (x.seq === 700 ? { ...x, prev_hash: 'ab'.repeat(32) } : x))],
    ['the tail deleted', (r) => r.filter((x) => x.seq <= 900)],
  ];
  for (const [what, harm] of harms) {
    it(`chunked in any size, reports what one verifier reports and the blocks of the in-memory tree (${what})`, async () => {
      const all = ledger(1000);
      const rows = harm(all);
      const want = await verifyChain(rows.map(toStoredEvent));
      const mem = new MemoryTree(all.map((r) => eventLeafHash(r.hash)));
      for (const per of [1, 256, 300, 1000]) {
        const chunks = planChunks({ from: 1, to: 1000, verifyFrom: 1, blockFrom: 0, blockTo: 3, blockSize: 256 }, per);
        expect(chunks.map((c) => c.from)[0]).toBe(1);
        const merged = mergeChunks(await Promise.all(chunks.map((c) => scanOneChunk(c, pagesOf(rows)))));
        if (want.ok) expect(merged.verify).toMatchObject({ ok: true, checked: Math.min(want.checked, 1000) });
        else expect(merged.verify, `${per} per chunk`).toEqual(want);
        if (want.ok && merged.gapAt === null) {
          const blocks = Buffer.concat(merged.blocks.map((b) => Buffer.from(b)));
          expect(blocks.toString('hex')).toBe(Buffer.concat(await Promise.all([0, 1, 2].map((b) => mem.subtree(b * 256, (b + 1) * 256)))).toString('hex'));
        }
      }
      if (what === 'the tail deleted') expect((await scanChain({ from: 1, to: 1000, verifyFrom: 1, blockFrom: 0, blockTo: 3, blockSize: 256 }, pagesOf(rows))).gapAt).toBe(901);
    });
  }

  it('rows before verifyFrom only give leaves: a gap among them is a gap, not a broken chain', async () => {
    const rows = ledger(600).filter((x) => x.seq !== 100);
    const out = await scanChain({ from: 1, to: 600, verifyFrom: 513, blockFrom: 0, blockTo: 2, blockSize: 256 }, pagesOf(rows));
    expect(out).toMatchObject({ verify: { ok: true, checked: 0 }, gapAt: 100 });
  });
});
