// Starts one throwaway Ceph RGW (scripts/rgw/start.sh) for the S3 test files and stops it after.
// A gateway that cannot start does not skip anything: the error is handed to the tests, which
// fail with it (see s3/rgw.ts). RGW_ENDPOINT_JSON=<file> uses an already running gateway instead.
// Where Ceph is missing and cannot be installed (not root, no apt-get), vitest.config.ts leaves
// this project out before it gets here, outside CI only (test/support/service-gates.ts).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import type { RgwInfo } from './s3/rgw.js';

declare module 'vitest' {
  export interface ProvidedContext {
    rgw: RgwInfo | { error: string };
  }
}

const run = promisify(execFile);
const scripts = fileURLToPath(new URL('../../scripts/rgw/', import.meta.url));

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.RGW_ENDPOINT_JSON) {
    project.provide('rgw', JSON.parse(readFileSync(process.env.RGW_ENDPOINT_JSON, 'utf8')) as RgwInfo);
    return async () => {};
  }
  const dir = mkdtempSync(join(tmpdir(), 'cl-rgw-'));
  const env = { ...process.env, RGW_DIR: dir };
  try {
    // generous: a fresh machine installs the Ceph packages first (~30 s)
    const { stdout } = await run('bash', [join(scripts, 'start.sh')], { env, timeout: 600_000 });
    project.provide('rgw', JSON.parse(stdout.trim().split('\n').pop()!) as RgwInfo);
  } catch (e) {
    const err = e as { message: string; stderr?: string };
    project.provide('rgw', { error: `scripts/rgw/start.sh failed: ${err.message}\n${err.stderr ?? ''}`.slice(0, 4000) });
  }
  return async () => {
    await run('bash', [join(scripts, 'stop.sh')], { env, timeout: 60_000 }).catch(() => {});
  };
}
