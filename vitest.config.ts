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
          // Fails the run if a test wrote into /var/spool/asterisk or /etc/asterisk (issue 19.6).
          globalSetup: ['test/guards/system-dirs.global-setup.ts'],
          exclude: [...configDefaults.exclude, 'test/recordings/s3/**'],
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
    ],
  },
});
