import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqlite } from '../../src/db/sqlite.js';
import { canonicalBodyFromParts, GENESIS_HASH, linkHash } from '../../src/evidence/chain.js';
import { SqliteLedgerTree } from '../../src/evidence/checkpoint-sqlite.js';
import {
  consistencyProof,
  EMPTY_ROOT,
  eventLeafHash,
  hashLeaf,
  inclusionPath,
  MemoryTree,
  MerkleFrontier,
  treeRoot,
  verifyConsistency,
  verifyInclusion,
} from '../../src/evidence/merkle.js';

// ---- an independent, naive RFC 9162 §2.1 implementation, straight from the definitions ----
const sha = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();
const k = (n: number) => 2 ** Math.ceil(Math.log2(n) - 1);
function MTH(d: Buffer[]): Buffer {
  if (d.length === 0) return sha();
  if (d.length === 1) return sha(Buffer.from([0]), d[0]!);
  const s = k(d.length);
  return sha(Buffer.from([1]), MTH(d.slice(0, s)), MTH(d.slice(s)));
}
function PATH(m: number, d: Buffer[]): Buffer[] {
  if (d.length === 1) return [];
  const s = k(d.length);
  return m < s ? [...PATH(m, d.slice(0, s)), MTH(d.slice(s))] : [...PATH(m - s, d.slice(s)), MTH(d.slice(0, s))];
}
function SUBPROOF(m: number, d: Buffer[], b: boolean): Buffer[] {
  if (m === d.length) return b ? [] : [MTH(d)];
  const s = k(d.length);
  return m <= s ? [...SUBPROOF(m, d.slice(0, s), b), MTH(d.slice(s))] : [...SUBPROOF(m - s, d.slice(s), false), MTH(d.slice(0, s))];
}

const leafData = (n: number) => Array.from({ length: n }, (_, i) => Buffer.from(`leaf-${i}`));
const memTree = (data: Buffer[]) => new MemoryTree(data.map(hashLeaf));
const hex = (b: Buffer) => b.toString('hex');

describe('RFC 9162 Merkle tree', () => {
  it('matches the published test vectors (RFC 6962 / CT leaves)', async () => {
    const leaves = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map((h) => Buffer.from(h, 'hex'));
    const roots = [
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
      'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
      '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
      '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
      'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
      '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
    ];
    expect(hex(EMPTY_ROOT)).toBe(roots[0]);
    for (let n = 0; n <= 8; n++) {
      expect(hex(await treeRoot(memTree(leaves.slice(0, n)), n)), `size ${n}`).toBe(roots[n]);
      expect(hex(MTH(leaves.slice(0, n)))).toBe(roots[n]);
    }
  });

  it('inclusion proofs for every leaf of trees of 1..33 leaves match the naive PATH and verify', async () => {
    for (let n = 1; n <= 33; n++) {
      const data = leafData(n);
      const tree = memTree(data);
      const root = await treeRoot(tree, n);
      expect(hex(root)).toBe(hex(MTH(data)));
      for (let m = 0; m < n; m++) {
        const path = await inclusionPath(tree, m, n);
        expect(path.map(hex), `leaf ${m} of ${n}`).toEqual(PATH(m, data).map(hex));
        const leaf = hashLeaf(data[m]!);
        expect(verifyInclusion(leaf, m, n, path, root)).toBe(true);
        // The wrong leaf, index, size, path or root never verifies.
        expect(verifyInclusion(hashLeaf(Buffer.from('other')), m, n, path, root)).toBe(false);
        if (n > 1) expect(verifyInclusion(leaf, (m + 1) % n, n, path, root)).toBe(false);
        // (The same path may also fit a larger size when the leaf's path has the same shape:
        // the size is bound to the root by the signed checkpoint, not by the path.)
        if (path.length) {
          const bent = path.map((p) => Buffer.from(p));
          bent[bent.length - 1]![0]! ^= 1;
          expect(verifyInclusion(leaf, m, n, bent, root)).toBe(false);
          expect(verifyInclusion(leaf, m, n, path.slice(0, -1), root)).toBe(false);
        }
        expect(verifyInclusion(leaf, m, n, [...path, root], root)).toBe(false);
      }
    }
  });

  it('consistency proofs for every pair of sizes up to 33 match the naive PROOF and verify', async () => {
    const data = leafData(33);
    const tree = memTree(data);
    for (let n = 1; n <= 33; n++) {
      const newRoot = MTH(data.slice(0, n));
      for (let m = 1; m <= n; m++) {
        const oldRoot = MTH(data.slice(0, m));
        const proof = await consistencyProof(tree, m, n);
        expect(proof.map(hex), `${m} → ${n}`).toEqual(m === n ? [] : SUBPROOF(m, data.slice(0, n), true).map(hex));
        expect(verifyConsistency(m, n, oldRoot, newRoot, proof)).toBe(true);
        if (m < n) {
          expect(verifyConsistency(m, n, MTH(data.slice(0, m - 1)), newRoot, proof)).toBe(false);
          expect(verifyConsistency(m, n, oldRoot, MTH(data.slice(0, n - 1)), proof)).toBe(false);
        }
      }
    }
  });

  it('refuses impossible indices and sizes', async () => {
    const tree = memTree(leafData(4));
    await expect(inclusionPath(tree, 4, 4)).rejects.toThrow(RangeError);
    await expect(inclusionPath(tree, -1, 4)).rejects.toThrow(RangeError);
    expect(verifyInclusion(EMPTY_ROOT, 0, 0, [], EMPTY_ROOT)).toBe(false);
    expect(verifyInclusion(EMPTY_ROOT, 1.5, 4, [], EMPTY_ROOT)).toBe(false);
    expect(verifyConsistency(3, 2, EMPTY_ROOT, EMPTY_ROOT, [])).toBe(false);
  });
});

describe('SqliteLedgerTree (cached subtrees of 256+ leaves)', () => {
  it('gives the same roots and audit paths as the in-memory tree while it grows past several blocks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'consentline-merkle-'));
    const { db } = openSqlite({ path: join(dir, 'l.sqlite') });
    try {
      const insert = db.prepare('INSERT INTO events (seq, call_id, at, kind, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)');
      const hashes: string[] = [];
      let prev = GENESIS_HASH;
      const append = (n: number) =>
        db.transaction(() => {
          for (let i = 0; i < n; i++) {
            const seq = hashes.length + 1;
            const at = new Date(1_772_000_000_000 + seq).toISOString();
            const data = `{"i":${seq}}`;
            const hash = linkHash(prev, canonicalBodyFromParts(seq, 'c', at, 'dtmf.received', data));
            insert.run(seq, 'c', at, 'dtmf.received', data, prev, hash);
            hashes.push(hash);
            prev = hash;
          }
        })();
      const tree = new SqliteLedgerTree(db);
      for (const grow of [300, 213, 511, 1, 1024]) {
        append(grow);
        const size = await tree.size();
        expect(size).toBe(hashes.length);
        await tree.extend(size);
        const mem = new MemoryTree(hashes.map(eventLeafHash));
        const src = tree.source();
        expect(hex(await treeRoot(src, size))).toBe(hex(await treeRoot(mem, size)));
        for (const m of [0, 1, 255, 256, 257, 511, 512, size - 2, size - 1]) {
          if (m < 0 || m >= size) continue;
          expect((await inclusionPath(src, m, size)).map(hex), `leaf ${m} of ${size}`).toEqual((await inclusionPath(mem, m, size)).map(hex));
        }
        expect((await consistencyProof(src, 300, size)).map(hex)).toEqual((await consistencyProof(mem, 300, size)).map(hex));
      }
      const levels = db.prepare('SELECT level, count(*) AS n FROM merkle_nodes GROUP BY level ORDER BY level').all();
      expect(levels).toEqual([
        { level: 8, n: 8 },
        { level: 9, n: 4 },
        { level: 10, n: 2 },
        { level: 11, n: 1 },
      ]);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('MerkleFrontier', () => {
  it('gives MTH of every prefix as leaves stream in, keeping O(log n) nodes', () => {
    const data = Array.from({ length: 300 }, (_, i) => Buffer.from([i & 0xff, i >> 8]));
    const frontier = new MerkleFrontier();
    expect(frontier.root().equals(EMPTY_ROOT)).toBe(true);
    for (let n = 1; n <= data.length; n++) {
      frontier.push(hashLeaf(data[n - 1]!));
      expect(frontier.size).toBe(n);
      // Against the naive definition above, not the code under test.
      expect(frontier.root().toString('hex'), `size ${n}`).toBe(MTH(data.slice(0, n)).toString('hex'));
    }
  });
});
