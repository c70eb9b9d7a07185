import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/evidence/chain.js';
import { loadOrCreateSigner } from '../../src/evidence/checkpoint.js';
import { bearer, evidenceApp, seedSample } from '../api/evidence-helpers.js';
import { cli } from '../cli/helpers.js';

/*
 * tools/verify_bundle.py, written from docs/evidence-bundle-format.md, must agree with
 * `consentline bundle verify` (exit codes) on good bundles and on one-byte tampers of every
 * class: a field value, the signature, a proof hash, the checkpoint (root, signature, size).
 */

const root = join(import.meta.dirname, '../..');
const PYTHON = '/usr/bin/python3';
const VERIFIER = join(root, 'tools/verify_bundle.py');
const hasCryptography = spawnSync(PYTHON, ['-c', 'import cryptography'], { encoding: 'utf8' }).status === 0;
const MISSING = `${PYTHON} lacks the cryptography package (apt-get install python3-cryptography)`;

const vectorText = readFileSync(join(root, 'test/fixtures/bundle-vectors/bundle.json'));
const vectorKey = JSON.parse(readFileSync(join(root, 'test/fixtures/bundle-vectors/vectors.json'), 'utf8')).verifierKey as string;

let dir: string;
let n = 0;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'consentline-pyverify-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Both verifiers' exit codes on the same bytes. */
async function both(bytes: Buffer, key: string | null): Promise<{ ts: number; py: number; tsOut: string; pyOut: string }> {
  const file = join(dir, `b-${n++}.json`);
  writeFileSync(file, bytes);
  const keyArgs = key === null ? [] : ['--key', key];
  const ts = await cli(['bundle', 'verify', file, ...keyArgs]);
  const py = spawnSync(PYTHON, [VERIFIER, file, ...keyArgs], { encoding: 'utf8' });
  return { ts: ts.code, py: py.status ?? -1, tsOut: ts.out + ts.err, pyOut: py.stdout + py.stderr };
}

/** One byte changed for another of its kind (digit, letter, base64 symbol), else to 'x'. */
function flip(bytes: Buffer, at: number): Buffer {
  const out = Buffer.from(bytes);
  const c = out[at]!;
  const next = (lo: number, span: number) => lo + ((c - lo + 1) % span);
  out[at] = c >= 0x30 && c <= 0x39 ? next(0x30, 10) : c >= 0x61 && c <= 0x7a ? next(0x61, 26) : c >= 0x41 && c <= 0x5a ? next(0x41, 26) : c === 0x2b ? 0x2f : c === 0x2f ? 0x2b : 0x78;
  return out;
}

/** The offset of the `nth` occurrence of `needle` in the file, plus `offset`. */
function at(bytes: Buffer, needle: string, offset: number, nth = 1): number {
  let i = -1;
  for (let k = 0; k < nth; k++) {
    i = bytes.indexOf(needle, i + 1);
    if (i < 0) throw new Error(`fixture has no ${nth}. ${needle}`);
  }
  return i + offset;
}

const vector = JSON.parse(vectorText.toString('utf8'));
const rootB64 = vector.checkpoint.rootHash as string;
const TAMPERS: Array<[string, (b: Buffer) => number]> = [
  ['an event data value (decision)', (b) => at(b, '"granted"', 3)],
  ['an event time', (b) => at(b, '"2026-03-01T09:00:03.000Z"', 19)],
  ['an event kind', (b) => at(b, '"consent.recording"', 12)],
  ['an event hash', (b) => at(b, vector.calls[0].events[1].hash, 20)],
  ['an event prevHash', (b) => at(b, `"prevHash": "${vector.calls[0].events[0].prevHash}`, 30)],
  ['a prompt in the prompt list', (b) => at(b, '"playback": "completed"', 16, 2)],
  ['createdAt', (b) => at(b, '"createdAt"', 20)],
  ['verifierKey', (b) => at(b, '"verifierKey"', 30)],
  ['the bundle signature', (b) => at(b, vector.signature, 40)],
  ['a proof hash', (b) => at(b, vector.calls[0].proofs[1].auditPath[0], 20)],
  ['the root in the checkpoint note', (b) => at(b, rootB64, 10, 1)],
  ['the checkpoint note signature', (b) => at(b, '— example.org/consentline-vectors ', Buffer.byteLength('— example.org/consentline-vectors ') + 30)],
  ['the checkpoint origin in the note', (b) => at(b, '"note": "example.org', 12)],
  ['checkpoint.rootHash', (b) => at(b, rootB64, 10, 2)],
  ['checkpoint.treeSize', (b) => at(b, '"treeSize": 5', 12)],
];

describe.skipIf(!hasCryptography && process.env.CI !== 'true')(`tools/verify_bundle.py agrees with consentline bundle verify${hasCryptography ? '' : ` (skipped: ${MISSING})`}`, () => {
  it('the Python verifier can run (in CI it must)', () => {
    expect(hasCryptography, MISSING).toBe(true);
  });

  it('accepts the test-vector bundle; rejects it under another key; usage errors are 2 for both', async () => {
    const good = await both(vectorText, vectorKey);
    expect([good.ts, good.py], good.tsOut + good.pyOut).toEqual([0, 0]);
    expect(good.pyOut.trim()).toBe(good.tsOut.trim());
    const other = loadOrCreateSigner(join(dir, 'other.pem'), 'example.org/consentline-vectors').signer.verifierKey;
    const wrong = await both(vectorText, other);
    expect([wrong.ts, wrong.py]).toEqual([1, 1]);
    const noKey = await both(vectorText, null);
    expect([noKey.ts, noKey.py]).toEqual([2, 2]);
    const badKey = await both(vectorText, vectorKey.replace(/\+[0-9a-f]{8}\+/, '+00000000+'));
    expect([badKey.ts, badKey.py]).toEqual([2, 2]);
  });

  it('its JCS gives the same text as the ledger\'s for strings, numbers and key order', () => {
    const values = [
      { b: 1, a: [true, false, null], 'é': 'x', '\u{1F600}': 1, '\uFB01': 2, A: 'ctl\u0001\u001f\b\t\n\f\r"\\/\u2028\u007f' },
      [0, -0, 1, -1, 0.5, 1.5e-7, 1e-6, 123456789012, 2 ** 53, 1e21, 1.7976931348623157e308, 5e-324, -2.5e25, 0.1 + 0.2],
      'Przykład Spółka z o.o. — ✓',
    ];
    const script = 'import json,sys; sys.path.insert(0, sys.argv[1]); import verify_bundle as v; print(json.dumps([v.jcs(x) for x in json.loads(sys.stdin.read())]))';
    const r = spawnSync(PYTHON, ['-c', script, join(root, 'tools')], { input: JSON.stringify(values), encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(values.map((v) => canonicalJson(v)));
  });

  for (const [what, where] of TAMPERS) {
    it(`one byte of ${what} changed: both say invalid`, async () => {
      const r = await both(flip(vectorText, where(vectorText)), vectorKey);
      expect([r.ts, r.py], `${r.tsOut}\n${r.pyOut}`).toEqual([1, 1]);
    });
  }

  it('every 89th byte of the vector bundle changed in turn: the two agree on each', async () => {
    const disagreements: string[] = [];
    for (let i = 0; i < vectorText.length; i += 89) {
      const r = await both(flip(vectorText, i), vectorKey);
      if (r.ts !== r.py) disagreements.push(`byte ${i}: ts ${r.ts} (${r.tsOut.trim()}), py ${r.py} (${r.pyOut.trim()})`);
    }
    expect(disagreements).toEqual([]);
  }, 240_000);

  it('a bundle exported by the API (three calls, real ledger) verifies in both, and its tampers agree', async () => {
    const t = await evidenceApp();
    try {
      await seedSample(t.store);
      const auditor = bearer(await t.issue('auditor'));
      const r = await t.app.inject({ method: 'POST', url: '/bundles', headers: auditor, payload: { callIds: ['c-01', 'c-02', 'c-06'] } });
      expect(r.statusCode, r.body).toBe(200);
      const key = (await t.app.inject({ url: '/checkpoints/public-key', headers: auditor })).json().verifierKey as string;
      const text = Buffer.from(JSON.stringify(r.json(), null, 1));
      const good = await both(text, key);
      expect([good.ts, good.py], good.tsOut + good.pyOut).toEqual([0, 0]);
      const disagreements: string[] = [];
      for (let i = 0; i < text.length; i += 509) {
        const v = await both(flip(text, i), key);
        if (v.ts !== v.py) disagreements.push(`byte ${i}: ts ${v.ts} (${v.tsOut.trim()}), py ${v.py} (${v.pyOut.trim()})`);
      }
      expect(disagreements).toEqual([]);
    } finally {
      await t.close();
    }
  }, 240_000);
});
