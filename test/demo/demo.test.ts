import { spawn, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** Starts `npm run demo`'s script and resolves with its output once it prints "Ctrl-C to stop.". */
function startDemo() {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], {
    env: { ...process.env, DEMO_API_PORT: '0', DEMO_OPS_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += String(c)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += String(c);
      if (out.includes('Ctrl-C to stop.')) resolve(out);
    });
    void exited.then((code) => reject(new Error(`demo exited ${code} before it was ready:\n${out}\n${err}`)));
  });
  return { child, ready, exited, output: () => out, stderr: () => err };
}

/** Every `curl -s [-H 'header: value'] 'url'` line the demo printed, as fetch would send it. */
function curlSuggestions(out: string) {
  return out
    .split('\n')
    .filter((l) => l.trim().startsWith('curl '))
    .map((line) => {
      const m = /^\s*curl -s (?:-H '([^:']+): ([^']+)' )?'([^']+)'\s*$/.exec(line);
      if (!m) throw new Error(`a suggestion this test cannot run: ${line}`);
      return { line, url: m[3]!, headers: m[1] ? { [m[1]]: m[2]! } : {} };
    });
}

describe('npm run demo', () => {
  it('places a dozen calls down every path, stores the consented recordings, prints tokens and suggestions that all work as printed, and stops cleanly', async () => {
    const demo = startDemo();
    try {
      const out = await demo.ready;
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
      expect(out).toMatch(/DPO: {5}clt_[A-Za-z0-9_-]{43}/);
      expect(out).toMatch(/Admin: {3}clt_[A-Za-z0-9_-]{43}/);
      expect(out).toMatch(/API: {5}http:\/\/127\.0\.0\.1:\d+/);
      // The console's address answers with its sign-in page, where the printed tokens sign in.
      const consoleUrl = /Console: (http:\/\/127\.0\.0\.1:\d+\/console) /.exec(out)![1]!;
      const signIn = await fetch(consoleUrl);
      expect(signIn.status).toBe(200);
      expect(new URL(signIn.url).pathname).toBe('/console/sign-in');

      const suggestions = curlSuggestions(out);
      expect(suggestions.map((s) => new URL(s.url).pathname)).toEqual(
        expect.arrayContaining(['/calls', '/ledger/verify', '/stats', '/config', '/metrics', expect.stringMatching(/\/receipt$/), expect.stringMatching(/\/timeline$/)]),
      );
      for (const s of suggestions) {
        const r = await fetch(s.url, { headers: s.headers });
        expect(r.status, `${s.line}\n${await r.text()}`).toBeGreaterThanOrEqual(200);
        expect(r.status, s.line).toBeLessThan(300);
      }

      const cli = out.split('\n').filter((l) => l.trim().startsWith('npm run '));
      expect(cli.length).toBeGreaterThan(0);
      for (const line of cli) {
        const r = spawnSync('sh', ['-c', line.trim()], { encoding: 'utf8', timeout: 60_000 });
        expect(r.status, `${line}\n${r.stdout}\n${r.stderr}`).toBe(0);
      }
    } finally {
      demo.child.kill('SIGINT');
    }
    expect(await demo.exited, demo.stderr()).toBe(0);
    expect(demo.output()).toContain('stopping…');
  }, 180_000);
});
