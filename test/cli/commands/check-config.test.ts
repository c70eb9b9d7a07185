import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkConfig } from '../../../src/cli/commands/check-config.js';
import { BOMB, GOOD, configFiles } from '../../config/config-files.js';
import { AmiEmulator, type DialplanEntry } from '../../emulators/ami/index.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), env: {}, now: () => 0 } };
}

const hostileFile = configFiles('cl-hostile-');

describe('consentline check-config', () => {
  it('accepts the shipped example and says what it found', async () => {
    const t = io();
    expect(await checkConfig.run(['consentline.example.yaml'], t.io)).toBe(0);
    expect(t.out[0]).toMatch(/consentline\.example\.yaml: OK — 3 flow\(s\) \(hotline: consent_by_conduct, complaints: explicit_consent, withdrawals: withdrawal line\)/);
  });

  it('lists every problem by path and exits 78 (configuration)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cl-check-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'routes: {}\nflows:\n  - id: a\n    default: true\n    legalBasis: consent_by_conduct\n    menu: { "9": { action: objection }, "8": { action: clause }, "2": { action: route, route: sales } }\n    defaultRoute: x\n    fallbackRoute: y\n');
    const t = io();
    expect(await checkConfig.run([file], t.io)).toBe(78);
    expect(t.err).toEqual([
      `${file}: 3 problem(s):`,
      '  - flows[0].defaultRoute: unknown route "x"',
      '  - flows[0].fallbackRoute: unknown route "y"',
      '  - flows[0].menu["2"].route: unknown route "sales"',
    ]);
  });

  it('a prompt missing on disk is a config error naming flow, prompt and language', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cl-check-'));
    const file = join(dir, 'c.yaml');
    writeFileSync(
      file,
      'routes: { a: { context: c, extension: s } }\nflows:\n  - id: a\n    default: true\n    legalBasis: consent_by_conduct\n    languages: { default: pl, offered: [pl, de] }\n    prompts: { notice: no-such-notice }\n    menu: { "9": { action: objection }, "8": { action: clause } }\n    defaultRoute: a\n    fallbackRoute: a\n',
    );
    const t = io();
    expect(await checkConfig.run([file], t.io)).toBe(78);
    const all = t.err.join('\n');
    expect(all).toContain('flows[0].prompts.notice: prompt "no-such-notice" has no audio for language "pl"');
    expect(all).toContain('flows[0].prompts.menu: prompt "menu" has no audio for language "de"');
  });

  it('exits 78 (EX_CONFIG) with every problem, a YAML alias bomb included', async () => {
    for (const text of [BOMB, `${GOOD}\napi: { port: 1e400 }\n`]) {
      const err: string[] = [];
      const code = await checkConfig.run([hostileFile(text)], { out: () => {}, err: (l) => err.push(l), env: {}, now: () => 0 });
      expect(code).toBe(78);
      expect(err.join('\n')).not.toMatch(/ReferenceError|is required/);
    }
  });
});

describe('consentline check-config --live', () => {
  const ROUTE_LIST: DialplanEntry[] = [
    { context: 'consentline-after', extension: 'agents', priority: 1, app: 'NoOp' },
    { context: 'consentline-fallback', extension: 's', priority: 1, app: 'NoOp' },
  ];
  const configFile = (port: number) => {
    const dir = mkdtempSync(join(tmpdir(), 'cl-live-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'live.yaml');
    writeFileSync(
      file,
      `routes:\n  agents: { context: consentline-after, extension: agents }\n  fallback: { context: consentline-fallback, extension: s }\nflows:\n  - id: hotline\n    default: true\n    legalBasis: consent_by_conduct\n    menu: { "9": { action: objection }, "8": { action: clause } }\n    defaultRoute: agents\n    fallbackRoute: fallback\nrecordings:\n  ami: { host: 127.0.0.1, port: ${port} }\n`,
    );
    return file;
  };
  const run = async (file: string, env: Record<string, string>) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await checkConfig.run([file, '--live'], { out: (l) => out.push(l), err: (l) => err.push(l), env, now: () => 0 });
    return { code, out, err };
  };

  it('0 when every route is in the running dialplan; 78 naming the missing ones; 1 when it could not check', async () => {
    const emu = await AmiEmulator.start({ users: [{ username: 'consentline', secret: 'live-secret', read: ['call'], write: ['call', 'reporting'] }] });
    cleanups.push(() => emu.stop());
    const file = configFile(emu.port);
    const env = { CONSENTLINE_AMI_SECRET: 'live-secret' };
    emu.setDialplan(ROUTE_LIST);
    const ok = await run(file, env);
    expect(ok.code, ok.err.join('\n')).toBe(0);
    expect(ok.out.at(-1)).toBe('all 2 route(s) found in the running dialplan');
    emu.setDialplan(ROUTE_LIST.slice(1));
    const missing = await run(file, env);
    expect(missing.code).toBe(78);
    expect(missing.err).toEqual(['route(s) missing from the running dialplan: agents (agents@consentline-after)']);
    const noAmi = await run(file, {});
    expect(noAmi.code).toBe(1);
    expect(noAmi.err.join('\n')).toContain('routes could not be checked');
    const wrong = await run(file, { CONSENTLINE_AMI_SECRET: 'nope' });
    expect(wrong.code).toBe(1);
    expect(wrong.err.join('\n')).toMatch(/^routes NOT checked against the dialplan: AMI auth-failed/);
  });
});
