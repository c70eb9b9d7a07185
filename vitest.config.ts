import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';
import { serviceGatesOnce } from './test/support/service-gates.js';

// PostgreSQL and Ceph RGW suites: skipped outside CI, with one line each, when the service is
// missing; with CI=true a missing service fails the run (test/support/service-gates.ts).
const gates = await serviceGatesOnce(fileURLToPath(new URL('.', import.meta.url)));

// Projects: `extends: true` would concatenate a root-level `include` with each project's, so the
// include lists live in the projects only.
export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest's default for `run` is one worker less than the cores: a single worker on the 2-core
    // CI machine, while most test files spend their time waiting on sockets, timers, fsync and
    // child processes. CONSENTLINE_TEST_WORKERS overrides it.
    maxWorkers: Number(process.env.CONSENTLINE_TEST_WORKERS) || Math.max(2, availableParallelism() - 1),
    projects: [
      {
        extends: true,
        test: {
          name: 'default',
          include: ['test/**/*.test.ts'],
          // Fails the run if a test wrote into /var/spool/asterisk or /etc/asterisk (issue 19.6).
          globalSetup: ['test/guards/system-dirs.global-setup.ts'],
          exclude: [...configDefaults.exclude, 'test/recordings/s3/**', 'test/asterisk/**', 'test/console/browser/**', ...gates.skipFiles],
        },
      },
      {
        // The console in Debian's Chromium (playwright-core, no browser download): one demo service per file.
        extends: true,
        test: {
          name: 'console-browser',
          include: ['test/console/browser/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...gates.skipFiles],
          testTimeout: 120_000,
          fileParallelism: false,
        },
      },
      // Tests against a real S3 (a throwaway Ceph RGW on loopback, started once by globalSetup).
      ...(gates.s3
        ? [
            {
              extends: true as const,
              test: {
                name: 'recordings-s3',
                include: ['test/recordings/s3/**/*.test.ts'],
                exclude: [...configDefaults.exclude, ...gates.skipFiles],
                globalSetup: ['test/recordings/rgw.global-setup.ts'],
              },
            },
          ]
        : []),
      {
        // Calls through a real Asterisk 22 built by scripts/asterisk/build.sh (npm run test:asterisk).
        extends: true,
        test: {
          name: 'asterisk',
          include: ['test/asterisk/**/*.test.ts'],
          testTimeout: 120_000,
        },
      },
    ],
  },
});
