import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkConfig } from '../../src/cli/commands/check-config.js';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), env: {}, now: () => 0 } };
}

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
});
