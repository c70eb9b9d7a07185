import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cl-engines-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// npm ci on the Node this runs on (CI: 20 and 22) must not warn that a locked package wants
// another Node. A dry run in a copy of the manifest and lockfile: nothing is fetched or installed.
it(`every locked package supports this Node (${process.version}): npm ci prints no EBADENGINE`, { timeout: 120_000 }, async () => {
  for (const file of ['package.json', 'package-lock.json']) copyFileSync(join(root, file), join(dir, file));
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const { stdout, stderr } = await promisify(execFile)(npm, ['ci', '--dry-run', '--ignore-scripts', '--offline', '--no-audit', '--no-fund'], {
    cwd: dir,
    env: { ...process.env, npm_config_loglevel: 'warn' },
  });
  expect(`${stdout}\n${stderr}`.split('\n').filter((line) => line.includes('EBADENGINE'))).toEqual([]);
});
