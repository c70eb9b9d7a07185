import { configDefaults, defineConfig } from 'vitest/config';

// Projects: `extends: true` would concatenate a root-level `include` with each project's, so the
// include lists live in the projects only.
export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'default',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/recordings/s3/**', 'test/asterisk/**'],
        },
      },
      {
        // Tests against a real S3 (a throwaway Ceph RGW on loopback, started once by globalSetup).
        extends: true,
        test: {
          name: 'recordings-s3',
          include: ['test/recordings/s3/**/*.test.ts'],
          globalSetup: ['test/recordings/rgw.global-setup.ts'],
        },
      },
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
