import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cephBlocker, serviceGates } from './service-gates.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('service gates: suites that need PostgreSQL or Ceph', () => {
  it('without PostgreSQL (outside CI) its files are skipped with one line saying what to start', async () => {
    const port = await closedPort();
    const gates = await serviceGates(root, { CONSENTLINE_TEST_PG: `postgres://postgres@127.0.0.1:${port}`, PATH: process.env.PATH });
    expect(gates.skipFiles).toEqual(expect.arrayContaining(['test/contract/postgres.test.ts', 'test/cli/postgres-cli.test.ts']));
    expect(gates.skipFiles.every((f) => f.endsWith('.test.ts'))).toBe(true);
    expect(gates.notes.filter((n) => n.startsWith('PostgreSQL'))).toEqual([
      expect.stringMatching(new RegExp(`^PostgreSQL not reachable on 127\\.0\\.0\\.1:${port}: ${gates.skipFiles.length} PostgreSQL test files skipped; start it with \`docker run`)),
    ]);
  });

  it('with CI=true a missing PostgreSQL fails the run instead', async () => {
    const port = await closedPort();
    await expect(serviceGates(root, { CI: 'true', CONSENTLINE_TEST_PG: `postgres://postgres@127.0.0.1:${port}`, PATH: process.env.PATH })).rejects.toThrow(
      /PostgreSQL not reachable .*with CI=true its \d+ test files must run/,
    );
  });

  it('Ceph missing and not installable: the S3 project is left out outside CI, fails the run in CI', async () => {
    const env = { PATH: '/nonexistent', CONSENTLINE_TEST_PG: `postgres://postgres@127.0.0.1:${await closedPort()}` };
    expect(cephBlocker(env)).toMatch(/^ceph-mon, .* missing and not installable here \((no apt-get|needs root or password-less sudo)\)$/);
    const gates = await serviceGates(root, env);
    expect(gates.s3).toBe(false);
    expect(gates.notes).toContainEqual(expect.stringMatching(/^Ceph RGW cannot be started \(.*\): \d+ S3 test files skipped; install ceph-mon/));
    await expect(serviceGates(root, { ...env, CI: 'true' })).rejects.toThrow(/PostgreSQL not reachable|Ceph RGW cannot be started/);
    // A gateway given by RGW_ENDPOINT_JSON needs nothing installed.
    expect(cephBlocker({ ...env, RGW_ENDPOINT_JSON: '/tmp/rgw.json' })).toBeUndefined();
  });
});
