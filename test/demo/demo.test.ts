import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('npm run demo', () => {
  it('places a dozen calls down every path, stores the consented recordings, prints the table, token and API, and exits cleanly', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], {
      env: { ...process.env, DEMO_EXIT: '1', DEMO_API_PORT: '0' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const out = r.stdout;
    for (const outcome of ['continued', 'abandoned', 'objected']) expect(out).toContain(`'${outcome}'`);
    // Every call that went on with recording=yes has its recording stored ('done'); no other has one.
    const rows = out.split('\n').filter((l) => /^│ \d+ /.test(l));
    expect(rows).toHaveLength(12);
    for (const row of rows) {
      const recordingYes = row.includes("│ 'yes'     │") && row.includes("'continued'");
      expect(row.includes("'done'"), row).toBe(recordingYes);
    }
    expect(out).toMatch(/ledger: intact, \d+ events/);
    expect(out).toMatch(/Token: {3}clt_[A-Za-z0-9_-]{43}/);
    expect(out).toMatch(/API: {5}http:\/\/127\.0\.0\.1:\d+/);
    expect(out).toContain('stopping…');
  }, 150_000);
});
