import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CREDENTIAL_FILES, ENV_OVERRIDES } from '../../src/config/load.js';

const root = join(import.meta.dirname, '../..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

describe('README: what a newcomer needs', () => {
  it('lists every environment variable the loader reads, the _FILE forms and the credentials', () => {
    const missing = ENV_OVERRIDES.map(([name]) => name).filter((name) => !readme.includes(`\`${name}\``));
    expect(missing).toEqual([]);
    expect(readme).toContain('`NAME_FILE`');
    for (const credential of Object.values(CREDENTIAL_FILES)) expect(readme).toContain(`\`${credential}\``);
  });

  it('says what a fresh machine needs: the Node versions package.json accepts and the native build tools', () => {
    const { engines } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } };
    for (const floor of engines.node.match(/>=(\d+\.\d+)/g) ?? []) expect(readme).toContain(`Node ${floor.slice(2)}`);
    expect(readme).toMatch(/python3.*make.*g\+\+/s);
  });

  it('says how to run the CLI from a clone (npx consentline: the bin runs the build when there is one, else the source)', () => {
    expect(readme).toContain('npx consentline <command>');
    expect(readme).toContain('npm run consentline -- ');
    expect(readme).toMatch(/`bin`[^.]*`dist\/`[^.]*npm run build[^.]*TypeScript source/);
  });
});
