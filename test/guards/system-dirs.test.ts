import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { describeChanges, snapshotDirs } from './system-dirs.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

test('the system-dir guard names files created, changed and removed, and nothing else', () => {
  dir = mkdtempSync(join(tmpdir(), 'cl-guard-'));
  const root = join(dir, 'spool');
  const absent = join(dir, 'not-there');
  mkdirSync(join(root, 'monitor'), { recursive: true });
  writeFileSync(join(root, 'keep.txt'), 'a');
  writeFileSync(join(root, 'edit.txt'), 'a');
  writeFileSync(join(root, 'gone.txt'), 'a');
  const before = snapshotDirs([root, absent]);
  expect(describeChanges(before, snapshotDirs([root, absent]))).toEqual([]);
  writeFileSync(join(root, 'monitor', 'consentline-x-1.wav'), 'RIFF');
  writeFileSync(join(root, 'edit.txt'), 'longer');
  rmSync(join(root, 'gone.txt'));
  expect(describeChanges(before, snapshotDirs([root, absent])).sort()).toEqual(
    [`changed ${join(root, 'edit.txt')}`, `created ${join(root, 'monitor', 'consentline-x-1.wav')}`, `removed ${join(root, 'gone.txt')}`].sort(),
  );
});
