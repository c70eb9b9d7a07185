/** File names from AMI are untrusted: only plain regular files directly in the spool dir pass. */
import { link, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { isSafeRecordingName, resolveSpoolPath } from '../../../src/recordings/ami/spool-path.js';

let root: string;
let spool: string;
let outside: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'spool-'));
  spool = path.join(root, 'monitor');
  outside = path.join(root, 'elsewhere');
  await mkdir(spool);
  await mkdir(outside);
  await mkdir(path.join(spool, 'sub'));
  await writeFile(path.join(outside, 'secret.wav'), 'x');
  await writeFile(path.join(spool, 'ok-1700000000.123.wav'), 'RIFF');
  await writeFile(path.join(spool, 'sub', 'nested.wav'), 'RIFF');
  await writeFile(path.join(spool, '48600100200.wav'), 'RIFF');
  await symlink(path.join(outside, 'secret.wav'), path.join(spool, 'link-out.wav'));
  await symlink(path.join(spool, 'ok-1700000000.123.wav'), path.join(spool, 'link-in.wav'));
  await mkdir(path.join(spool, 'dir.wav'));
  await link(path.join(outside, 'secret.wav'), path.join(spool, 'hard.wav'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('resolveSpoolPath accepts', () => {
  test('the full path Asterisk reports, and a bare name', async () => {
    const full = await resolveSpoolPath(spool, path.join(spool, 'ok-1700000000.123.wav'));
    expect(full).toEqual({ status: 'ok', path: path.join(spool, 'ok-1700000000.123.wav'), name: 'ok-1700000000.123.wav', size: 4 });
    expect((await resolveSpoolPath(spool, 'ok-1700000000.123.wav')).status).toBe('ok');
  });

  test("a path in Asterisk's own view of the monitor dir when it is mounted elsewhere", async () => {
    const r = await resolveSpoolPath(spool, '/srv/pbx/monitor/ok-1700000000.123.wav', {
      asteriskDir: '/srv/pbx/monitor',
    });
    expect(r.status).toBe('ok');
  });

  test('a digits-only name: it matches the pattern (naming policy is the dialplan’s job, not this check)', async () => {
    expect((await resolveSpoolPath(spool, '48600100200.wav')).status).toBe('ok');
  });
});

describe('resolveSpoolPath rejects', () => {
  const cases: [string, () => string, string][] = [
    ['traversal', () => '../../etc/passwd', 'traversal'],
    ['traversal inside an absolute path', () => `${spool}/../elsewhere/secret.wav`, 'traversal'],
    ['a dot segment', () => `${spool}/./ok-1700000000.123.wav`, 'traversal'],
    ['an absolute path elsewhere', () => path.join(outside, 'secret.wav'), 'outside-spool'],
    ['/etc/passwd', () => '/etc/passwd', 'outside-spool'],
    ['a doubled slash', () => `${spool}//ok-1700000000.123.wav`, 'outside-spool'],
    ['a sub-directory', () => path.join(spool, 'sub', 'nested.wav'), 'outside-spool'],
    ['a relative sub-path', () => 'sub/nested.wav', 'outside-spool'],
    ['a backslash', () => 'sub\\nested.wav', 'outside-spool'],
    ['a symlink pointing outside', () => path.join(spool, 'link-out.wav'), 'symlink'],
    ['a symlink pointing inside', () => 'link-in.wav', 'symlink'],
    ['a hard link to a file elsewhere', () => 'hard.wav', 'hard-link'],
    ['a directory', () => 'dir.wav', 'not-regular-file'],
    ['a NUL byte', () => `${spool}/ok.wav\0.txt`, 'nul-byte'],
    ['a caller-ID-looking +48 name', () => '+48600100200.wav', 'bad-name'],
    ['spaces', () => 'my call.wav', 'bad-name'],
    ['a semicolon (Local ;2 uniqueid)', () => 'tx1-s;2.wav', 'bad-name'],
    ['a newline', () => 'a\nb.wav', 'bad-name'],
    ['non-ASCII look-alikes', () => 'ok\u2215x.wav', 'bad-name'],
    ['a hidden file', () => '.hidden.wav', 'bad-name'],
    ['a shell metacharacter', () => '$(reboot).wav', 'bad-name'],
    ['a wrong extension', () => 'notes.txt', 'bad-name'],
    ['no extension', () => 'recording', 'bad-name'],
    ['a missing file', () => 'missing.wav', 'not-found'],
    ['empty', () => '', 'empty'],
    ['an over-long path', () => `${'a'.repeat(5000)}.wav`, 'too-long'],
  ];
  test.each(cases)('%s', async (_label, reported, reason) => {
    expect(await resolveSpoolPath(spool, reported())).toEqual({ status: 'rejected', reason });
  });

  test('a spool dir that does not exist', async () => {
    expect(await resolveSpoolPath(path.join(root, 'nope'), 'x.wav')).toEqual({
      status: 'rejected',
      reason: 'spool-dir-unavailable',
    });
  });
});

test('isSafeRecordingName: the name pattern on its own', () => {
  for (const ok of ['a.wav', 'A-1_b.2.WAV', 'x.gsm', 'x.sln', 'x.sln16']) expect(isSafeRecordingName(ok)).toBe(true);
  for (const bad of ['a.Wav', 'a.mp3', '../a.wav', 'a/b.wav', '+48.wav', 'a b.wav', '.wav', `${'a'.repeat(300)}.wav`]) {
    expect(isSafeRecordingName(bad)).toBe(false);
  }
});
