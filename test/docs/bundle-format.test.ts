import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleVectors, withVectors } from '../../scripts/docs/bundle-vectors.js';
import { verifyBundle } from '../../src/evidence/bundle.js';
import { parseVerifierKey } from '../../src/evidence/checkpoint.js';
import { rootFromInclusion } from '../../src/evidence/merkle.js';

const root = join(import.meta.dirname, '../..');
const read = (p: string) => readFileSync(join(root, p), 'utf8');

describe('docs/evidence-bundle-format.md test vectors', () => {
  it('the code produces exactly the fixtures and the document block (run npm run docs:bundle-vectors after a deliberate format change)', async () => {
    const { bundle, vectors } = await bundleVectors();
    expect(JSON.parse(read('test/fixtures/bundle-vectors/bundle.json'))).toEqual(bundle);
    expect(JSON.parse(read('test/fixtures/bundle-vectors/vectors.json'))).toEqual(vectors);
    const doc = read('docs/evidence-bundle-format.md');
    expect(withVectors(doc, vectors)).toBe(doc);
  });

  it('the vector bundle verifies with the vector key, and its key is RFC 8032 test 1', async () => {
    const { bundle, vectors } = await bundleVectors();
    expect(vectors.publicKeyHex).toBe('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
    expect(verifyBundle(bundle, parseVerifierKey(vectors.verifierKey)!)).toMatchObject({ ok: true, events: 4, treeSize: 5 });
    const proof = bundle.calls[0]!.proofs[0]!;
    const leaf = Buffer.from(vectors.events[1]!.leafHash, 'hex');
    expect(rootFromInclusion(leaf, proof.leafIndex, vectors.treeSize, proof.auditPath.map((h) => Buffer.from(h, 'base64')))!.toString('hex')).toBe(vectors.rootHashHex);
  });
});
