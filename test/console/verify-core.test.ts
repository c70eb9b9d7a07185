/**
 * The console's in-browser verifier (src/console/assets/verify-core.js, plain ES module run by
 * the page) against the bundle format's test vectors and the service's own Merkle code.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { consistencyProof, eventLeafHash, MemoryTree, treeRoot } from '../../src/evidence/merkle.js';
// @ts-expect-error: a plain JavaScript asset, untyped on purpose (it is served as is).
import * as v from '../../src/console/assets/verify-core.js';

interface Ev { seq: number; callId: string | null; at: string; kind: string; data: Record<string, unknown>; prevHash: string; hash: string }
const bundle = JSON.parse(readFileSync('test/fixtures/bundle-vectors/bundle.json', 'utf8')) as {
  verifierKey: string;
  checkpoint: { note: string; treeSize: number; rootHash: string };
  calls: Array<{ events: Ev[]; proofs: Array<{ seq: number; leafIndex: number; auditPath: string[] }> }>;
};
const vectors = JSON.parse(readFileSync('test/fixtures/bundle-vectors/vectors.json', 'utf8')) as { publicKeyHex: string };

describe("verify-core.js (the page's verifier)", () => {
  it('recomputes every event hash, inclusion proof and the checkpoint signature of the test vectors', async () => {
    const key = await v.parseVerifierKey(bundle.verifierKey);
    expect(v.hex(key.publicKey)).toBe(vectors.publicKeyHex);
    const cp = await v.openCheckpoint(bundle.checkpoint.note, key);
    expect(cp.treeSize).toBe(5);
    expect(Buffer.from(cp.root).toString('base64')).toBe(bundle.checkpoint.rootHash);
    const call = bundle.calls[0]!;
    for (const [i, e] of call.events.entries()) {
      expect(await v.eventHash(e)).toBe(e.hash);
      const root = await v.inclusionRoot(e.hash, e.seq - 1, cp.treeSize, call.proofs[i]!.auditPath);
      expect(Buffer.from(root).toString('base64')).toBe(bundle.checkpoint.rootHash);
    }
  });

  it('fails on an altered event, a wrong path, a forged note and a key whose hash does not match', async () => {
    const key = await v.parseVerifierKey(bundle.verifierKey);
    const e = bundle.calls[0]!.events[1]!;
    expect(await v.eventHash({ ...e, data: { ...e.data, digit: '9' } })).not.toBe(e.hash);
    const path = [...bundle.calls[0]!.proofs[1]!.auditPath];
    path[0] = Buffer.alloc(32, 1).toString('base64');
    const root = await v.inclusionRoot(e.hash, e.seq - 1, 5, path);
    expect(Buffer.from(root).toString('base64')).not.toBe(bundle.checkpoint.rootHash);
    expect(await v.inclusionRoot(e.hash, e.seq - 1, 5, path.slice(1))).toBeNull();
    await expect(v.openCheckpoint(bundle.checkpoint.note.replace('\n5\n', '\n6\n'), key)).rejects.toThrow(/signature does not verify/);
    await expect(v.parseVerifierKey(bundle.verifierKey.replace('+ac9b06c9+', '+ac9b06c8+'))).rejects.toThrow(/key hash/);
    expect(await v.fingerprint(key.publicKey)).toMatch(/^([0-9a-f]{4} ){15}[0-9a-f]{4}$/);
  });

  it('checks RFC 9162 consistency proofs from the service for every pair of sizes up to 20, and rejects wrong ones', async () => {
    const tree = new MemoryTree(Array.from({ length: 20 }, (_, i) => eventLeafHash(String(i).padStart(64, '0'))));
    for (let m = 1; m <= 20; m += 1) {
      for (let n = m; n <= 20; n += 1) {
        const proof = (await consistencyProof(tree, m, n)).map((b) => b.toString('base64'));
        const [a, b] = [await treeRoot(tree, m), await treeRoot(tree, n)];
        expect(await v.verifyConsistency(m, n, a, b, proof), `${m}→${n}`).toBe(true);
        if (m < n) expect(await v.verifyConsistency(m, n, b, a, proof), `${m}→${n} swapped`).toBe(false);
      }
    }
  });

  it('encodes JCS as RFC 8785 does', () => {
    expect(v.jcs({ b: [1, 0.5, -0, 1e21], a: 'é\u0001/', '\u20ac': null, ä: true })).toBe('{"a":"é\\u0001/","b":[1,0.5,0,1e+21],"ä":true,"€":null}');
  });
});
