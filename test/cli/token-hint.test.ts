/**
 * The hint a DPO command prints without a token must be a command that works as printed:
 * it once said `consentline token create NAME dpo`, which the CLI rejects.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openTestStore, tempDbPath, tempDir } from '../evidence/helpers.js';
import { cli } from './helpers.js';

describe('the token hint of subject access', () => {
  it('names a token create command that runs as printed and gives a token the export accepts', async () => {
    const path = tempDbPath();
    await (await openTestStore(path)).close();
    const env = { CONSENTLINE_PEPPER: 'p'.repeat(32) };
    const out = join(tempDir(), 'export');

    const refused = await cli(['subject', 'access', '+48600100200', '--out', out, '--db', path], env);
    expect(refused.code).toBe(2);
    const hint = /`(consentline token create [^`]+)`/.exec(refused.err)?.[1];
    expect(hint).toBe('consentline token create --role dpo --name NAME');

    const created = await cli([...hint!.split(' ').slice(1).map((w) => (w === 'NAME' ? 'Dana DPO' : w)), '--db', path], env);
    expect(created.err).toContain('(dpo, "Dana DPO") created');
    expect(created.code).toBe(0);

    const exported = await cli(['subject', 'access', '+48600100200', '--out', out, '--db', path, '--token', created.out.trim()], env);
    expect(exported.err).not.toContain('token');
    expect(exported.code).toBe(0);
    expect(exported.out).toMatch(/^wrote .*export: export\.json, summary\.pl\.md \(0 call\(s\)\)$/);
  });
});
