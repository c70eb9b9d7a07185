/**
 * `consentline recording decrypt|list` on a database and store the pipeline filled.
 */
import { generateKeyPairSync } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { SqliteTokenStore } from '../../src/api/tokens.js';
import { BUILTIN_CONFIG } from '../../src/config/load.js';
import { toneWav } from '../emulators/ami/index.js';
import { cli, cliProcess } from './helpers.js';
import { ledgerCall, sha256, waitState, world, type World } from '../recordings/pipeline/helpers.js';
import { spoolFile } from '../recordings/s3/pipeline-helpers.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

function configFile(x: World, recordings: Record<string, unknown> = {}): string {
  const config = { ...structuredClone(BUILTIN_CONFIG), service: { dataDir: x.dataDir }, database: { path: x.dbPath }, recordings };
  const file = join(x.dir, `consentline-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, JSON.stringify(config));
  return file;
}

async function storedRecording(x: World) {
  x.pipeline({ watcher: false, options: { settleMs: 0 } });
  const callId = await ledgerCall(x, 'yes');
  const f = spoolFile(x.spoolDir, callId, '1700000400.1', toneWav(1.5));
  await x.current!.scanNow();
  const row = await waitState(x, f.name, 'done');
  await x.current!.stop();
  return { callId, row };
}

describe('consentline recording', () => {
  test('decrypt by recording id: the WAV as captured, streamed to --out', async () => {
    w = await world();
    const { row } = await storedRecording(w);
    const out = join(w.dir, 'out.wav');
    const r = await cli(['recording', 'decrypt', '--reason', 'pipeline test', row.id, '--out', out, '--config', configFile(w)]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const wav = readFileSync(out);
    expect(wav.length).toBe(toneWav(1.5).length);
    expect(sha256(wav)).toBe(sha256(toneWav(1.5)));
    expect(r.out).toContain(sha256(wav));
    // never overwrites
    expect((await cli(['recording', 'decrypt', '--reason', 'pipeline test', row.id, '--out', out, '--config', configFile(w)])).code).toBe(2);
  });

  test('decrypt an .enc file: the call comes from the database by its name, or from --call-id', async () => {
    w = await world();
    const { row, callId } = await storedRecording(w);
    const enc = join(w.dir, `${row.id}.wav.enc`);
    copyFileSync(join(w.dataDir, 'recordings', 'store', row.object_key!), enc);
    const cfg = configFile(w);
    expect((await cli(['recording', 'decrypt', '--reason', 'pipeline test', enc, '--out', join(w.dir, 'a.wav'), '--config', cfg])).code).toBe(0);
    const other = join(w.dir, 'copy.enc');
    copyFileSync(enc, other);
    expect((await cli(['recording', 'decrypt', '--reason', 'pipeline test', other, '--out', join(w.dir, 'b.wav'), '--config', cfg])).code).toBe(2);
    expect((await cli(['recording', 'decrypt', '--reason', 'pipeline test', other, '--out', join(w.dir, 'b.wav'), '--call-id', callId, '--config', cfg])).code).toBe(0);
    expect(sha256(readFileSync(join(w.dir, 'b.wav')))).toBe(sha256(toneWav(1.5)));
    // the wrong call: the encryption context does not match, nothing is written
    const wrong = await cli(['recording', 'decrypt', '--reason', 'pipeline test', other, '--out', join(w.dir, 'c.wav'), '--call-id', '0b7e1a2c-3d4e-4f5a-8b6c-7d8e9f0a1b2c', '--config', cfg]);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/^error CONTEXT_MISMATCH/);
    expect(existsSync(join(w.dir, 'c.wav')) || existsSync(join(w.dir, 'c.wav.part'))).toBe(false);
    // tampered: refused, nothing written
    const bad = readFileSync(enc);
    bad[bad.length - 100]! ^= 1;
    writeFileSync(join(w.dir, 'bad.enc'), bad);
    const t = await cli(['recording', 'decrypt', '--reason', 'pipeline test', join(w.dir, 'bad.enc'), '--out', join(w.dir, 'd.wav'), '--call-id', callId, '--config', cfg]);
    expect(t.code).toBe(1);
    expect(t.err).toMatch(/^error DECRYPT_FAILED/);
    expect(existsSync(join(w.dir, 'd.wav')) || existsSync(join(w.dir, 'd.wav.part'))).toBe(false);
  });

  test('a host with the RSA public key only: NO_DECRYPT_KEY, clearly', async () => {
    w = await world();
    const { row } = await storedRecording(w);
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 3072 });
    const pub = join(w.dir, 'pub.pem');
    writeFileSync(pub, publicKey.export({ type: 'spki', format: 'pem' }));
    const r = await cli(['recording', 'decrypt', '--reason', 'pipeline test', row.id, '--out', join(w.dir, 'x.wav'), '--config', configFile(w, { keys: { mode: 'rsa', publicKeyFile: pub } })]);
    expect(r.code).toBe(78);
    expect(r.err).toMatch(/^error NO_DECRYPT_KEY: /);
    expect(existsSync(join(w.dir, 'x.wav'))).toBe(false);
  });

  test('a missing local key is an error, never a freshly generated one', async () => {
    w = await world();
    const { row } = await storedRecording(w);
    const r = await cli(['recording', 'decrypt', '--reason', 'pipeline test', row.id, '--config', configFile(w, { keys: { mode: 'local', keyFile: join(w.dir, 'nope.key') } })]);
    expect(r.code).toBe(78);
    expect(r.err).toMatch(/^error KEY_INVALID/);
    expect(existsSync(join(w.dir, 'nope.key'))).toBe(false);
  });

  test('decrypt is access-logged first: cli:<os user> or the --token DPO, with the reason; --reason is required', async () => {
    w = await world();
    const { row, callId } = await storedRecording(w);
    const cfg = configFile(w);
    const logged = () =>
      (w!.db.prepare("SELECT data FROM events WHERE kind = 'access.logged' ORDER BY seq").all() as Array<{ data: string }>).map((r) => JSON.parse(r.data));
    const missing = await cli(['recording', 'decrypt', row.id, '--out', join(w.dir, 'r0.wav'), '--config', cfg]);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('--reason');
    expect((await cli(['recording', 'decrypt', row.id, '--reason', '  ', '--out', join(w.dir, 'r0.wav'), '--config', cfg])).code).toBe(2);
    expect(existsSync(join(w.dir, 'r0.wav'))).toBe(false);
    expect(logged()).toEqual([]);

    const r = await cli(['recording', 'decrypt', row.id, '--reason', 'complaint 2026/17', '--out', join(w.dir, 'r1.wav'), '--config', cfg]);
    expect(r.code).toBe(0);
    const user = userInfo().username;
    expect(logged()).toEqual([
      {
        tokenId: `cli:${user}`,
        tokenName: `cli:${user}`,
        role: 'operator',
        route: 'CLI recording decrypt',
        callIds: [callId],
        recordingIds: [row.id],
        range: `bytes 0-${row.plaintext_bytes! - 1}/${row.plaintext_bytes}`,
        reason: 'complaint 2026/17',
      },
    ]);

    const tokens = new SqliteTokenStore(w.db);
    const dpo = await tokens.create('Maria (DPO)', 'dpo');
    expect((await cli(['recording', 'decrypt', row.id, '--reason', 'Art. 15', '--token', dpo.token, '--out', join(w.dir, 'r2.wav'), '--config', cfg])).code).toBe(0);
    expect(logged()[1]).toMatchObject({ tokenId: dpo.info.id, tokenName: 'Maria (DPO)', role: 'dpo', reason: 'Art. 15' });
    // An auditor's token may not: nothing logged, nothing written.
    const auditor = await tokens.create('auditor', 'auditor');
    const refused = await cli(['recording', 'decrypt', row.id, '--reason', 'x', '--out', join(w.dir, 'r3.wav'), '--config', cfg], { CONSENTLINE_TOKEN: auditor.token });
    expect(refused.code).toBe(1);
    expect(existsSync(join(w.dir, 'r3.wav'))).toBe(false);
    expect(logged()).toHaveLength(2);
  });

  test("decrypt with only --db of another install (the demo's layout), run from elsewhere: its keys and store come from beside the database", async () => {
    w = await world();
    const { row } = await storedRecording(w);
    const out = join(w.dir, 'demo.wav');
    // No configuration file: before, the key and the objects were looked for under ./data of the cwd (NOT_FOUND).
    const r = cliProcess(['recording', 'decrypt', row.id, '--reason', 'demo', '--db', w.dbPath, '--out', out], {}, mkdtempSync(join(tmpdir(), 'cl-elsewhere-')));
    expect(r.err).toBe(`data directory: ${w.dataDir} (beside --db)\n`);
    expect(r.code).toBe(0);
    expect(sha256(readFileSync(out))).toBe(sha256(toneWav(1.5)));
    // The list shows the same id the API lists.
    const listed = await cli(['recording', 'list', '--db', w.dbPath]);
    expect(listed.out).toContain(row.id);
  }, 60_000);

  test('list, with --state', async () => {
    w = await world();
    const { row, callId } = await storedRecording(w);
    const cfg = configFile(w);
    const all = await cli(['recording', 'list', '--config', cfg]);
    expect(all.code).toBe(0);
    expect(all.out).toContain(row.id);
    expect(all.out).toContain(callId);
    expect(all.out).toMatch(/ done /);
    expect(all.out).toContain('1 recording(s) shown; 0 waiting for a verified upload');
    const failed = await cli(['recording', 'list', '--state', 'failed', '--config', cfg]);
    expect(failed.out).toContain('0 recording(s) shown');
    expect((await cli(['recording', 'list', '--state', 'bogus', '--config', cfg])).code).toBe(2);
  });
});
