import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { cli } from './helpers.js';

const GROUPS = [...new Set(COMMANDS.filter((c) => c.name.includes(' ')).map((c) => c.name.split(' ')[0]!))];
const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

describe('help', () => {
  it('knows the groups', () => {
    expect(GROUPS.sort()).toEqual(['agents', 'bundle', 'calls', 'checkpoint', 'consent', 'hold', 'ledger', 'marketing', 'prompts', 'recording', 'retention', 'subject', 'token']);
  });

  it.each(GROUPS)('%s --help and help %s list each subcommand with its summary and usage (exit 0)', async (group) => {
    const members = COMMANDS.filter((c) => c.name.startsWith(`${group} `));
    for (const argv of [[group, '--help'], [group, '-h'], ['help', group]]) {
      const r = await cli(argv);
      expect(r.code).toBe(0);
      expect(r.err).toBe('');
      expect(r.out).toContain(`usage: consentline ${group} <command> [options]`);
      for (const c of members) {
        expect(r.out).toContain(`  ${c.name.slice(group.length + 1)}`);
        expect(r.out).toContain(c.summary.split('\n')[0]!);
        expect(r.out).toContain(c.usage);
      }
    }
  });

  it('a group without a subcommand shows its help on stderr and is a usage error', async () => {
    const r = await cli(['ledger']);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain('consentline ledger verify');
  });

  it.each(COMMANDS.map((c) => c.name))('%s --help and help %s: usage, summary, exit codes (exit 0)', async (name) => {
    const command = COMMANDS.find((c) => c.name === name)!;
    for (const argv of [[...name.split(' '), '--help'], ['help', ...name.split(' ')]]) {
      const r = await cli(argv);
      expect(r.code).toBe(0);
      expect(r.out).toContain(`usage: ${command.usage}`);
      expect(r.out).toContain(command.summary);
      expect(r.out).toContain('exit codes: 0 ok, 1 failed');
    }
  });

  it('--help, -h and help list every command; no arguments is the same list on stderr with exit 2', async () => {
    for (const argv of [['--help'], ['-h'], ['help']]) {
      const r = await cli(argv);
      expect(r.code).toBe(0);
      for (const c of COMMANDS) expect(r.out).toContain(c.usage);
    }
    const bare = await cli([]);
    expect(bare.code).toBe(2);
    expect(bare.err).toContain('consentline ledger verify');
  });

  it('help of something that does not exist is a usage error naming it', async () => {
    for (const argv of [['help', 'ledger', 'burn'], ['ledger', 'burn', '--help'], ['nope', '--help'], ['help', 'nope']]) {
      const r = await cli(argv);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/^unknown command: (ledger burn|nope)\n/);
    }
  });
});

describe('--version', () => {
  it('prints the version of package.json', async () => {
    const r = await cli(['--version']);
    expect(r.code).toBe(0);
    expect(r.out).toBe(`consentline ${VERSION}`);
  });

  it('the bin launcher runs from a clone without a build (npx consentline)', () => {
    const launcher = fileURLToPath(new URL('../../bin/consentline.js', import.meta.url));
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { bin: Record<string, string> };
    expect(fileURLToPath(new URL(`../../${pkg.bin.consentline}`, import.meta.url))).toBe(launcher);
    const r = spawnSync(process.execPath, [launcher, '--version'], { encoding: 'utf8', cwd: fileURLToPath(new URL('../..', import.meta.url)) });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`consentline ${VERSION}\n`);
    expect(r.status).toBe(0);
  }, 60_000);
});
