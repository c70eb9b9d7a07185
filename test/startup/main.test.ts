import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startServiceProcess, until } from './service-process.js';

const dir = mkdtempSync(join(tmpdir(), 'cl-start-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const start = startServiceProcess;

describe('npm start', () => {
  it('with no configuration: starts, says where its data lives, keeps retrying ARI, stops cleanly on SIGTERM', async () => {
    const dataDir = join(dir, 'data');
    const p = start({ CONSENTLINE_DATA_DIR: dataDir, CONSENTLINE_API_PORT: '0', CONSENTLINE_API_OPS_PORT: '0', CONSENTLINE_ARI_URL: 'http://127.0.0.1:9' });
    await until(() => p.lines.filter((l) => l.msg === 'ARI: Asterisk not reachable, retrying').length >= 2, 'two ARI retries');
    expect(p.lines.find((l) => l.msg === 'configuration loaded')?.config).toMatch(/built-in defaults/);
    expect(p.lines.find((l) => String(l.msg).startsWith('data directory ready'))).toMatchObject({ dataDir });
    // stdout carries JSON log lines only, and no secret value.
    expect(p.lines.filter((l) => 'notJson' in l)).toEqual([]);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  }, 60_000);

  it('with a bad file: exits 78 listing every problem by path, no stack trace', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'routes: {}\nflows:\n  - id: a\n    default: true\n    legalBasis: maybe\n    menu: {}\n    defaultRoute: x\n    fallbackRoute: y\n');
    const p = start({ CONSENTLINE_CONFIG: file, CONSENTLINE_DATA_DIR: join(dir, 'd2') });
    expect(await p.exited).toBe(78);
    expect(p.stderr()).toContain(`configuration ${file} is not valid`);
    expect(p.stderr()).toMatch(/flows\[0\]\.legalBasis: /);
    expect(p.stderr()).not.toMatch(/\n\s+at .+:\d+:\d+/);
  }, 60_000);

  it('with a YAML alias bomb: exits 78 naming it, no ReferenceError and no stack trace', async () => {
    const file = join(dir, 'bomb.yaml');
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (const [i, name] of ['b', 'c', 'd', 'e', 'f'].entries()) levels.push(`${name}: &${name} [${Array(10).fill(`*${'abcde'[i]}`).join(',')}]`);
    writeFileSync(file, `${levels.join('\n')}\n`);
    const p = start({ CONSENTLINE_CONFIG: file, CONSENTLINE_DATA_DIR: join(dir, 'd3') });
    expect(await p.exited).toBe(78);
    expect(p.stderr()).toMatch(/YAML: too many alias references/);
    expect(p.stderr()).not.toMatch(/ReferenceError|\n\s+at .+:\d+:\d+/);
  }, 60_000);
});
