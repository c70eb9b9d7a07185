import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'cl-rss-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('encrypting a 200 MiB recording file keeps RSS growth under 64 MB (measured in a child process)', async () => {
  const script = fileURLToPath(new URL('./helpers/encrypt-rss.ts', import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', '--import', 'tsx', script, '200', dir], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    timeout: 90_000,
  });
  const r = JSON.parse(stdout.trim().split('\n').pop()!) as { growth: number; plaintextBytes: number };
  expect(r.plaintextBytes).toBe(200 * 1024 * 1024);
  expect(r.growth).toBeLessThan(64 * 1024 * 1024);
}, 120_000);
