import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/shared/log.js';
import { prettyLine, resolveLogFormat } from '../../src/shared/log-pretty.js';

const dir = mkdtempSync(join(tmpdir(), 'cl-logfmt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sink() {
  const chunks: string[] = [];
  return { chunks, stream: new Writable({ write: (c, _e, done) => (chunks.push(String(c)), done()) }) };
}

describe('log format', () => {
  it('auto: pretty on a terminal, JSON otherwise; CONSENTLINE_LOG_FORMAT overrides the configured one', () => {
    expect(resolveLogFormat('auto', {}, true)).toBe('pretty');
    expect(resolveLogFormat('auto', {}, false)).toBe('json');
    expect(resolveLogFormat(undefined, {}, false)).toBe('json');
    expect(resolveLogFormat('json', {}, true)).toBe('json');
    expect(resolveLogFormat('pretty', {}, false)).toBe('pretty');
    expect(resolveLogFormat('auto', { CONSENTLINE_LOG_FORMAT: 'json' }, true)).toBe('json');
    expect(resolveLogFormat('json', { CONSENTLINE_LOG_FORMAT: 'pretty' }, false)).toBe('pretty');
  });

  it('the configuration takes service.logFormat and the variable; a wrong value is a configuration error', () => {
    const ok = loadConfig({ env: { CONSENTLINE_LOG_FORMAT: 'pretty' } });
    expect(ok.ok && ok.config.service.logFormat).toBe('pretty');
    const builtin = loadConfig({ env: {} });
    expect(builtin.ok && builtin.config.service.logFormat).toBe('auto');
    const bad = loadConfig({ env: { CONSENTLINE_LOG_FORMAT: 'yaml' } });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.problems.join('\n')).toMatch(/service\.logFormat/);
  });

  it('a pretty line: time, level, message, fields as key=value, an error with its stack; no colour off a terminal', () => {
    const line = prettyLine(JSON.stringify({ level: 40, time: Date.parse('2026-01-02T03:04:05.678Z'), pid: 1, msg: 'ARI: wrong credentials', server: 'pbx-a', attempt: 3, detail: { status: 401 } }), false);
    expect(line).toBe('03:04:05.678 WARN  ARI: wrong credentials  server=pbx-a attempt=3 detail={"status":401}');
    const withErr = prettyLine(JSON.stringify({ level: 50, time: 0, msg: 'failed', err: { message: 'boom', stack: 'Error: boom\n    at x (y.ts:1:1)' } }), false);
    expect(withErr.split('\n')).toEqual(['00:00:00.000 ERROR failed', '    Error: boom', '        at x (y.ts:1:1)']);
    expect(prettyLine('not json', false)).toBe('not json');
    expect(prettyLine(JSON.stringify({ level: 30, time: 0, msg: 'hi' }), true)).toContain('\x1b[32mINFO');
  });

  it('pretty output keeps secrets and caller numbers redacted', () => {
    const s = sink();
    const log = createLogger({ level: 'info', format: 'pretty' }, s.stream);
    log.info({ password: 'pw-1', token: 'clt_tok-2', ari: { secret: 'sec-3' }, req: { headers: { authorization: 'Bearer clt_tok-4' } }, callerNumber: '+48600100200' }, 'hello');
    const text = s.chunks.join('');
    for (const leaked of ['pw-1', 'tok-2', 'sec-3', 'tok-4', '600100200']) expect(text).not.toContain(leaked);
    expect(text).toMatch(/INFO {2}hello {2}password=\[redacted\]/);
    expect(() => JSON.parse(text)).toThrow();
  });

  it('npm start with CONSENTLINE_LOG_FORMAT=pretty writes readable lines, not JSON', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: {
        ...process.env,
        CONSENTLINE_CONFIG: undefined,
        CONSENTLINE_LOG_FORMAT: 'pretty',
        CONSENTLINE_DATA_DIR: join(dir, 'data'),
        CONSENTLINE_API_PORT: '0',
        CONSENTLINE_API_OPS_PORT: '0',
        CONSENTLINE_ARI_URL: 'http://127.0.0.1:9',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      // Two ARI retries: by then the service is up and its signal handlers are in place.
      const timer = setTimeout(() => reject(new Error(`no ARI retries:\n${lines.join('\n')}`)), 45_000);
      createInterface({ input: child.stdout! }).on('line', (l) => {
        lines.push(l);
        if (lines.filter((x) => x.includes(' ARI')).length >= 2) (clearTimeout(timer), resolve());
      });
    });
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(lines.find((l) => l.includes('configuration loaded'))).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}configuration loaded {2}config=/);
    for (const l of lines.filter((x) => /^\d\d:/.test(x))) expect(l.startsWith('{'), l).toBe(false);
  }, 60_000);
});
