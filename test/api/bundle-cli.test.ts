import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateSigner, openNote, parseVerifierKey, signNote } from '../../src/evidence/checkpoint.js';
import { canonicalJson, hashEvent } from '../../src/evidence/chain.js';
import { cli } from '../cli/helpers.js';
import { bearer, evidenceApp, seedSample, type EvidenceApp } from './evidence-helpers.js';

let t: EvidenceApp;
let bundle: Record<string, any>;
let key: string;
let n = 0;

beforeAll(async () => {
  t = await evidenceApp();
  await seedSample(t.store);
  const auditor = bearer(await t.issue('auditor'));
  const r = await t.app.inject({ method: 'POST', url: '/bundles', headers: auditor, payload: { callIds: ['c-01', 'c-02', 'c-06'] } });
  bundle = r.json();
  key = (await t.app.inject({ url: '/checkpoints/public-key', headers: auditor })).json().verifierKey;
});
afterAll(async () => t?.close());

const copy = () => JSON.parse(JSON.stringify(bundle));
async function verify(b: unknown, k: string = key) {
  const file = join(t.dir, `bundle-${n++}.json`);
  writeFileSync(file, typeof b === 'string' ? b : JSON.stringify(b));
  return cli(['bundle', 'verify', file, '--key', k]);
}

describe('consentline bundle verify', () => {
  it('accepts the exported bundle with the key as a string or a file', async () => {
    const ok = await verify(bundle);
    expect(ok.code, ok.out + ok.err).toBe(0);
    expect(ok.out).toMatch(/^bundle OK: 3 call\(s\), \d+ event\(s\) proven in the checkpoint of consentline\.test\/ledger at tree size \d+$/);
    const keyFile = join(t.dir, 'key.pub');
    writeFileSync(keyFile, `${key}\n`);
    expect((await verify(bundle, keyFile)).code).toBe(0);
  });

  it('a changed event fails at its hash', async () => {
    const b = copy();
    b.calls[0].events[1].data.version = '2';
    const r = await verify(b);
    expect(r.code).toBe(1);
    expect(r.out).toBe(`bundle INVALID: call c-01, event seq ${b.calls[0].events[1].seq}: hash does not match the event's content`);
  });

  it('a changed event re-hashed by the forger fails its inclusion proof', async () => {
    const b = copy();
    const e = b.calls[0].events[1];
    e.data.version = '2';
    e.hash = hashEvent(e.prevHash, e);
    const r = await verify(b);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/inclusion proof does not lead to the checkpoint root|does not link/);
  });

  it('a dropped event fails (with its proof: the bundle signature; without: the proof count)', async () => {
    const b = copy();
    b.calls[1].events.splice(1, 1);
    b.calls[1].proofs.splice(1, 1);
    b.calls[1].prompts = b.calls[1].prompts.filter((p: { seq: number }) => b.calls[1].events.some((e: { seq: number }) => e.seq === p.seq));
    const r = await verify(b);
    expect(r.code).toBe(1);
    expect(r.out).toBe('bundle INVALID: bundle signature does not verify with the given key');
    const c = copy();
    c.calls[1].events.pop();
    expect((await verify(c)).out).toMatch(/events but \d+ proofs/);
  });

  it('a changed signature, a swapped key, a forged checkpoint all fail', async () => {
    const b = copy();
    const sig = Buffer.from(b.signature, 'base64');
    sig[10]! ^= 1;
    b.signature = sig.toString('base64');
    expect((await verify(b)).out).toBe('bundle INVALID: bundle signature does not verify with the given key');

    const other = loadOrCreateSigner(join(t.dir, 'other.pem'), 'consentline.test/ledger').signer;
    const swapped = await verify(bundle, other.verifierKey);
    expect(swapped.code).toBe(1);
    expect(swapped.out).toBe('bundle INVALID: checkpoint has no signature by the given key');

    // A forger re-signs the checkpoint and the bundle with their own key: the real key refuses it.
    const forged = copy();
    const text = forged.checkpoint.note.slice(0, forged.checkpoint.note.indexOf('\n\n') + 1);
    forged.checkpoint.note = signNote(text, other);
    expect(openNote(forged.checkpoint.note, parseVerifierKey(other.verifierKey)!).ok).toBe(true);
    expect((await verify(forged)).out).toBe('bundle INVALID: checkpoint has no signature by the given key');

    // The right key id with a bent signature.
    const bent = copy();
    const line = bent.checkpoint.note.trimEnd().split('\n').pop() as string;
    const raw = Buffer.from(line.split(' ')[2]!, 'base64');
    raw[20]! ^= 1;
    bent.checkpoint.note = bent.checkpoint.note.replace(line.split(' ')[2]!, raw.toString('base64'));
    expect((await verify(bent)).out).toBe('bundle INVALID: checkpoint signature does not verify');
  });

  it('garbage is a clear failure, a bad key a usage error', async () => {
    expect((await verify('not json')).out).toBe('bundle INVALID: not JSON');
    expect((await verify({ format: 'x' })).out).toMatch(/^bundle INVALID: not an evidence bundle: format/);
    const b = copy();
    b.extra = 1;
    expect((await verify(b)).code).toBe(1);
    const bad = await verify(bundle, 'name+00000000+AAAA');
    expect(bad.code).toBe(2);
    expect(canonicalJson(bundle)).toContain('"format":"consentline.evidence-bundle/1"');
  });
});

describe('consentline token and checkpoint', () => {
  it('creates (printing the token once), lists and revokes tokens', async () => {
    const db = ['--db', t.path];
    const noSubject = await cli(['token', 'create', '--role', 'dpo', '--name', 'IOD Jan', ...db]);
    expect(noSubject.code).toBe(2);
    expect(noSubject.err).toMatch(/--subject <person> is required for a dpo token/);
    const created = await cli(['token', 'create', '--role', 'dpo', '--name', 'IOD Jan', '--subject', 'jan.kowalski', ...db]);
    expect(created.code, created.err).toBe(0);
    const token = created.out.trim();
    expect(token).toMatch(/^clt_[A-Za-z0-9_-]{43}$/);
    const info = await t.tokens.authenticate(token);
    expect(info).toMatchObject({ role: 'dpo', name: 'IOD Jan', subject: 'jan.kowalski' });
    expect(created.err).toContain('issued to jan.kowalski');
    const auditor = await cli(['token', 'create', '--role', 'auditor', '--name', 'monitoring', ...db]);
    expect(await t.tokens.authenticate(auditor.out.trim())).toMatchObject({ role: 'auditor', subject: 'monitoring' });
    const list = await cli(['token', 'list', ...db]);
    expect(list.out).toContain(info!.id);
    expect(list.out).toContain('IOD Jan (jan.kowalski)');
    expect(list.out).not.toContain(token);
    expect((await cli(['token', 'revoke', info!.id, ...db])).code).toBe(0);
    expect(await t.tokens.authenticate(token)).toBeNull();
    expect((await cli(['token', 'revoke', info!.id, ...db])).code).toBe(1);
    expect((await cli(['token', 'create', '--role', 'root', '--name', 'x', ...db])).code).toBe(2);
    expect((await cli(['token', 'list', '--db', join(t.dir, 'missing.sqlite')])).code).toBe(1);
  });

  it('signs a checkpoint from the command line with a key file', async () => {
    const keyPath = join(t.dir, 'cli-key.pem');
    const r = await cli(['checkpoint', 'create', '--db', t.path, '--key', keyPath, '--origin', 'consentline.test/cli']);
    expect(r.code, r.err).toBe(0);
    const verifierKey = /verifier key: (\S+)/.exec(r.err)![1]!;
    expect(openNote(`${r.out}\n`, parseVerifierKey(verifierKey)!).ok).toBe(true);
  });
});
