import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalBodyFromParts, canonicalJson, GENESIS_HASH, linkHash, verifyChain } from '../../src/evidence/chain.js';
import { linkMatches, mergeChunks, planChunks, rowHashMatches, type ScanRow } from '../../src/evidence/chain-scan.js';
import { scanChain, scanOneChunk, type ChainRows } from '../../src/evidence/chain-scan-pool.js';
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

/** A chain of `n` rows as the writer stores them; `edit` changes a row's call id or the text its data is stored as. */
function ledger(n: number, edit: (seq: number) => { callId?: string; stored?: (canonical: string) => string } = () => ({})): EventRow[] {
  const rows: EventRow[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const e = edit(seq);
    const callId = e.callId ?? `c${seq % 3}`;
    const data = canonicalJson({ digit: String(seq % 10), i: seq, note: seq % 7 === 0 ? 'a "quoted"\nline' : 'x' });
    const at = new Date(Date.UTC(2026, 0, 1) + seq).toISOString();
    const hash = linkHash(prev, canonicalBodyFromParts(seq, callId, at, 'dtmf.received', data));
    rows.push({ seq, call_id: callId, at, kind: 'dtmf.received', data: e.stored ? e.stored(data) : data, prev_hash: prev, hash });
    prev = hash;
  }
  return rows;
}

/** A row as the engines' link SQL reads it (json_quote and to_json quote as JSON.stringify does). */
const scanRowOf = (r: EventRow): ScanRow => [
  r.seq,
  r.hash,
  r.prev_hash.length === 64
    ? `${r.prev_hash}{"at":${JSON.stringify(r.at)},"callId":${r.call_id === null ? 'null' : JSON.stringify(r.call_id)},"data":${r.data},"kind":${JSON.stringify(r.kind)},"seq":${r.seq}}`
    : null,
];

/** Pages of scan rows, and whole rows for the exact path, counted. */
const pagesOf = (rows: readonly EventRow[], size = 37): ChainRows & { exact: number[] } => {
  const exact: number[] = [];
  return {
    exact,
    async *pages(from, to) {
      const sel = rows.filter((r) => r.seq >= from && r.seq <= to);
      for (let i = 0; i < sel.length; i += size) yield sel.slice(i, i + size).map(scanRowOf);
    },
    async row(seq) {
      exact.push(seq);
      return rows.find((r) => r.seq === seq);
    },
  };
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

  it('hashes the link text as the database built it: only rows it cannot decide are read whole', async () => {
    // Row 100 stores its data as non-canonical text of the same value; row 200's call id needs escapes.
    const rows = ledger(1000, (seq) => (seq === 100 ? { stored: (d) => d.replace(':', ': ') } : seq === 200 ? { callId: 'c\n"2"' } : {}));
    const pages = pagesOf(rows);
    const out = await scanChain({ from: 1, to: 1000, verifyFrom: 1, blockFrom: 0, blockTo: 3, blockSize: 256 }, pages);
    expect(out.verify).toEqual({ ok: true, checked: 1000, headHash: rows[999]!.hash });
    expect(await verifyChain(rows.map(toStoredEvent))).toEqual(out.verify);
    expect(pages.exact).toEqual([100, 200]);
  });

  it('linkMatches decides a row only when the exact path gives the same answer', () => {
    const field = fc.oneof(fc.string({ unit: 'binary', maxLength: 6 }), fc.constantFrom('c1', 'a"b', 'x\\y', '\u0001', 'ż😀', '\ufffd'));
    const data = fc.oneof(fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify({ v })), fc.jsonValue({ maxDepth: 2 }).map((v) => { try { return canonicalJson({ v }); } catch { return '{}'; } }));
    fc.assert(
      fc.property(field, fc.option(field), field, data, fc.boolean(), fc.constantFrom(GENESIS_HASH, 'ab'.repeat(32)), (at, callId, kind, text, asLinked, prev) => {
        const row: EventRow = { seq: 7, call_id: callId, at, kind, data: text, prev_hash: prev, hash: '' };
        const link = scanRowOf(row)[2]!;
        // Hashed either as the writer hashes (JCS of what it parses to) or as the link text stands.
        let hash = linkHash(prev, link.slice(64));
        if (!asLinked) {
          try {
            hash = linkHash(prev, canonicalBodyFromParts(7, callId, at, kind as never, canonicalJson(JSON.parse(text))));
          } catch {
            // not encodable: keep the link text's hash
          }
        }
        const stored = { ...row, hash };
        if (linkMatches(scanRowOf(stored), GENESIS_HASH)) expect(prev === GENESIS_HASH && rowHashMatches(stored)).toBe(true);
      }),
      { numRuns: 5_000 },
    );
  });

  it('linkMatches takes the writer\'s rows (canonical data, plain fields) without the exact path', () => {
    for (const r of ledger(50)) expect(linkMatches(scanRowOf(r), r.prev_hash), String(r.seq)).toBe(true);
    const [first] = ledger(1);
    expect(linkMatches(scanRowOf(first!), 'ab'.repeat(32))).toBe(false);
    expect(linkMatches([1, first!.hash, null], GENESIS_HASH)).toBe(false);
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
