/**
 * One convention for every command: 0 ok, 1 failed (verification, not found, operation), 2 usage
 * (unknown command or option, missing argument), 78 configuration. Each command is run with a
 * usage error, with a configuration error where it reads any configuration, and with a missing
 * database or file (1).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/command.js';
import { loadOrCreateSigner } from '../../src/evidence/checkpoint.js';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { tempDir } from '../evidence/helpers.js';
import { cli } from './helpers.js';

const dir = tempDir();
const BAD_YAML = join(dir, 'bad.yaml');
writeFileSync(BAD_YAML, 'service: [not closed\n');
const MISSING_DB = join(dir, 'missing.sqlite');
const BAD_DB_URL = { CONSENTLINE_DATABASE_URL: 'postgres://' };
const ID = '0b7e1a2c-3d4e-4f5a-8b6c-7d8e9f0a1b2c';
const NUMBER = '+48600100200';
const VERIFIER_KEY = loadOrCreateSigner(join(dir, 'checkpoint.pem'), 'exit-codes/test').signer.verifierKey;

interface Row {
  /** Valid arguments up to the point the command reads its configuration. */
  readonly args: string[];
  /** How this command meets a bad configuration: a file (--config) or the environment; null: it reads none. */
  readonly config: { args: string[]; env?: Record<string, string> } | null;
  /** Something that is not there: exit 1 (null: the only thing it reads is its configuration). */
  readonly failure: string[] | null;
}

const TABLE: Record<string, Row> = {
  'check-config': { args: [], config: { args: [BAD_YAML] }, failure: null },
  'calls check-outcomes': { args: [], config: { args: [], env: BAD_DB_URL }, failure: ['--db', MISSING_DB] },
  receipt: { args: [ID], config: { args: ['--config', BAD_YAML] }, failure: ['--db', MISSING_DB] },
  'ledger verify': { args: [], config: { args: [], env: BAD_DB_URL }, failure: ['--db', MISSING_DB] },
  evidence: { args: [ID], config: { args: [], env: BAD_DB_URL }, failure: ['--db', MISSING_DB] },
  'prompts install': { args: [], config: null, failure: ['--from', join(dir, 'no-prompts'), '--sounds-dir', join(dir, 'sounds')] },
  'token create': { args: ['--role', 'dpo', '--name', 'Dana', '--subject', 'dana'], config: { args: [], env: BAD_DB_URL }, failure: ['--db', MISSING_DB] },
  'token list': { args: [], config: { args: [], env: BAD_DB_URL }, failure: ['--db', MISSING_DB] },
  'token revoke': { args: [ID], config: { args: [], env: BAD_DB_URL }, failure: ['--db', MISSING_DB] },
  'bundle verify': { args: [join(dir, 'no-bundle.json'), '--key', VERIFIER_KEY], config: null, failure: [] },
  'checkpoint create': { args: [], config: { args: [], env: BAD_DB_URL }, failure: ['--db', MISSING_DB] },
  'recording decrypt': { args: [ID, '--reason', 'exit code test'], config: { args: ['--config', BAD_YAML] }, failure: ['--db', MISSING_DB] },
  'recording list': { args: [], config: { args: ['--config', BAD_YAML] }, failure: ['--db', MISSING_DB] },
  'retention run': { args: [], config: { args: ['--config', BAD_YAML] }, failure: ['--db', MISSING_DB] },
  'hold set': { args: ['--call', ID, '--reason', 'dispute'], config: { args: ['--config', BAD_YAML] }, failure: ['--db', MISSING_DB] },
  'hold list': { args: [], config: { args: ['--config', BAD_YAML] }, failure: ['--db', MISSING_DB] },
  'hold release': { args: [ID], config: { args: ['--config', BAD_YAML] }, failure: ['--db', MISSING_DB] },
  'subject erase': { args: [NUMBER], config: { args: ['--config', BAD_YAML] }, failure: ['--db', MISSING_DB] },
  'subject access': { args: [NUMBER, '--out', join(dir, 'export')], config: { args: ['--config', BAD_YAML] }, failure: ['--db', MISSING_DB] },
  'marketing lookup': { args: [NUMBER, '--purpose', 'exit codes'], config: { args: ['--config', BAD_YAML] }, failure: ['--db', MISSING_DB] },
  'marketing rebuild': { args: ['--check'], config: { args: [], env: BAD_DB_URL }, failure: ['--db', MISSING_DB] },
  'consent withdraw': { args: ['--number', NUMBER, '--consent', 'marketing', '--channel', 'letter', '--reference', 'L-1'], config: { args: ['--config', BAD_YAML] }, failure: ['--db', MISSING_DB] },
  assurance: { args: ['--from', '2026-03-01', '--to', '2026-03-02'], config: { args: ['--config', BAD_YAML] }, failure: ['--db', MISSING_DB] },
  'agents list': { args: [], config: { args: ['--config', BAD_YAML] }, failure: ['--db', MISSING_DB] },
  'agents show': { args: ['agent-1'], config: { args: ['--config', BAD_YAML] }, failure: ['--db', MISSING_DB] },
  'agents set': { args: ['agent-1', '--interface', 'PJSIP/100', '--not-informed'], config: { args: ['--config', BAD_YAML] }, failure: ['--db', MISSING_DB] },
  'agents remove': { args: ['agent-1'], config: { args: ['--config', BAD_YAML] }, failure: ['--db', MISSING_DB] },
  'migrate-store': { args: ['--from', `sqlite:${MISSING_DB}`, '--to', 'postgres://u@127.0.0.1:1/none'], config: null, failure: [] },
};

const words = (name: string) => name.split(' ');

describe('exit codes', () => {
  it('the table covers every command', () => {
    expect(Object.keys(TABLE).sort()).toEqual(COMMANDS.map((c) => c.name).sort());
  });

  it.each(COMMANDS.map((c) => c.name))('%s: an unknown option is a usage error (2), with the usage line', async (name) => {
    const r = await cli([...words(name), ...TABLE[name]!.args, '--no-such-option']);
    expect(r.code).toBe(EXIT.usage);
    expect(r.err).toContain("Unknown option '--no-such-option'");
    expect(r.err).toContain(`usage: consentline ${name}`);
  });

  it.each(COMMANDS.filter((c) => TABLE[c.name]!.config !== null).map((c) => c.name))('%s: a bad configuration is 78', async (name) => {
    const { args, env = {} } = TABLE[name]!.config!;
    const r = await cli([...words(name), ...TABLE[name]!.args, ...args], env);
    expect(r.err).not.toMatch(/    at /);
    expect(r.code).toBe(EXIT.config);
  });

  it.each(COMMANDS.filter((c) => TABLE[c.name]!.failure !== null).map((c) => c.name))('%s: a database or file that is not there is 1', async (name) => {
    const row = TABLE[name]!;
    const env = { CONSENTLINE_PEPPER: 'x'.repeat(32) };
    const r = await cli([...words(name), ...row.args, ...row.failure!], env);
    expect(r.err).not.toMatch(/    at /);
    expect(r.code).toBe(EXIT.failed);
  });

  it('an unknown command, a missing subcommand and a missing argument are usage errors', async () => {
    expect((await cli(['frobnicate'])).code).toBe(EXIT.usage);
    expect((await cli(['ledger', 'burn'])).code).toBe(EXIT.usage);
    expect((await cli(['token'])).code).toBe(EXIT.usage);
    expect((await cli([])).code).toBe(EXIT.usage);
    expect((await cli(['evidence'])).code).toBe(EXIT.usage);
    expect((await cli(['hold', 'set', '--call', ID])).code).toBe(EXIT.usage);
  });
});
