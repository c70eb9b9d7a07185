// Which test files can run on this machine: the PostgreSQL suites need a server, the S3 suites a
// Ceph RGW that scripts/rgw/start.sh can start (it installs Debian packages, so it needs root or
// sudo and apt-get when Ceph is missing). Outside CI a missing service skips its files with one
// line saying what to start; with CI=true nothing is skipped: a missing service fails the run.
import { execFileSync } from 'node:child_process';
import { accessSync, constants, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { delimiter, join, relative } from 'node:path';

export interface ServiceGates {
  /** Test files to leave out (paths relative to the repository). */
  readonly skipFiles: readonly string[];
  /** Whether the S3 project (Ceph RGW) runs at all. */
  readonly s3: boolean;
  /** One line per skipped service, for the run's output. */
  readonly notes: readonly string[];
}

const CEPH_BINARIES = ['ceph-mon', 'ceph-osd', 'radosgw', 'ceph', 'ceph-authtool', 'monmaptool', 'radosgw-admin', 'curl'];

export function inCi(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.CI === 'true' || env.CI === '1';
}

/** host:port of the PostgreSQL the tests use (CONSENTLINE_TEST_PG, else 127.0.0.1:5432). */
export function testPgAddress(env: NodeJS.ProcessEnv = process.env): { host: string; port: number } {
  const url = new URL(env.CONSENTLINE_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432');
  return { host: url.hostname || '127.0.0.1', port: Number(url.port || 5432) };
}

export function tcpReachable(host: string, port: number, timeoutMs = 1500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Test files whose text contains `marker` (e.g. the PostgreSQL helper's module name). */
export function testFilesMentioning(root: string, marker: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory() && entry.name !== 'fixtures') walk(path);
      else if (entry.name.endsWith('.test.ts') && readFileSync(path, 'utf8').includes(marker)) found.push(relative(root, path));
    }
  };
  walk(join(root, 'test'));
  return found.sort();
}

function onPath(binary: string, env: NodeJS.ProcessEnv): boolean {
  return (env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, binary), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Why start.sh cannot bring up a gateway here, or undefined when it can (or may). */
export function cephBlocker(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.RGW_ENDPOINT_JSON) return undefined;
  const missing = CEPH_BINARIES.filter((b) => !onPath(b, env));
  if (missing.length === 0) return undefined;
  const root = process.getuid?.() === 0;
  let sudo = false;
  if (!root && onPath('sudo', env)) {
    try {
      execFileSync('sudo', ['-n', 'true'], { stdio: 'ignore', timeout: 5000 });
      sudo = true;
    } catch {
      sudo = false;
    }
  }
  if ((root || sudo) && onPath('apt-get', env)) return undefined;
  return `${missing.join(', ')} missing and not installable here (${onPath('apt-get', env) ? 'needs root or password-less sudo' : 'no apt-get'})`;
}

/**
 * Computed once per process: vitest loads the config again for each project, and the notes
 * are printed once.
 */
export function serviceGatesOnce(root: string): Promise<ServiceGates> {
  const holder = globalThis as { consentlineServiceGates?: Promise<ServiceGates> };
  holder.consentlineServiceGates ??= serviceGates(root).then((gates) => {
    for (const note of gates.notes) console.warn(`[tests] ${note}`);
    return gates;
  });
  return holder.consentlineServiceGates;
}

export async function serviceGates(root: string, env: NodeJS.ProcessEnv = process.env): Promise<ServiceGates> {
  const skipFiles: string[] = [];
  const notes: string[] = [];
  const pg = testPgAddress(env);
  const pgFiles = testFilesMentioning(root, 'pg-helpers');
  if (!(await tcpReachable(pg.host, pg.port))) {
    const start = `start it with \`docker run -d --rm -p 127.0.0.1:5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres:16\` (or set CONSENTLINE_TEST_PG=postgres://user@host:port)`;
    if (inCi(env)) throw new Error(`PostgreSQL not reachable on ${pg.host}:${pg.port}, and with CI=true its ${pgFiles.length} test files must run: ${start}`);
    skipFiles.push(...pgFiles);
    notes.push(`PostgreSQL not reachable on ${pg.host}:${pg.port}: ${pgFiles.length} PostgreSQL test files skipped; ${start}`);
  }
  let s3 = true;
  const blocker = cephBlocker(env);
  if (blocker) {
    const s3Files = testFilesMentioning(root, '').filter((f) => f.startsWith('test/recordings/s3/'));
    const start = 'install ceph-mon ceph-osd radosgw ceph-common curl (Debian), run the tests as root, or point RGW_ENDPOINT_JSON at a running gateway (scripts/rgw/start.sh)';
    if (inCi(env)) throw new Error(`Ceph RGW cannot be started (${blocker}), and with CI=true its ${s3Files.length} S3 test files must run: ${start}`);
    s3 = false;
    notes.push(`Ceph RGW cannot be started (${blocker}): ${s3Files.length} S3 test files skipped; ${start}`);
  }
  return { skipFiles, s3, notes };
}
