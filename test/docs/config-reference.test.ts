import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV_OVERRIDES } from '../../src/config/load.js';
import { CONFIG_DESCRIPTIONS } from '../../scripts/docs/config-descriptions.js';
import {
  CLI_BEGIN,
  CONFIG_BEGIN,
  CONFIG_END,
  configRows,
  ENV_BEGIN,
  ENV_END,
  regenerateAdminGuide,
  renderConfigReference,
  replaceBetween,
} from '../../scripts/docs/config-reference.js';

const root = join(import.meta.dirname, '../..');
const guidePath = join(root, 'docs/admin-guide.md');

describe('configuration reference (docs/admin-guide.md)', () => {
  const paths = configRows().map((r) => r.path);

  it('covers the schema: one row per path, none twice', () => {
    expect(paths.length).toBeGreaterThan(50);
    expect(new Set(paths).size).toBe(paths.length);
    for (const p of ['service.dataDir', 'ari.password', 'routes.<name>.context', 'flows[].legalBasis', 'flows[].menu.<digit>.action']) {
      expect(paths).toContain(p);
    }
  });

  it('every schema path has a description', () => {
    const missing = paths.filter((p) => !CONFIG_DESCRIPTIONS[p]?.trim());
    expect(missing, `add these to scripts/docs/config-descriptions.ts`).toEqual([]);
  });

  it('every description names a path that exists', () => {
    const stale = Object.keys(CONFIG_DESCRIPTIONS).filter((p) => !paths.includes(p));
    expect(stale, `remove or rename these in scripts/docs/config-descriptions.ts`).toEqual([]);
  });

  it('every environment override names a path in the schema', () => {
    for (const [name, path] of ENV_OVERRIDES) expect(paths, name).toContain(path.join('.'));
  });

  it('shows types, defaults and allowed values from the schema', () => {
    const table = renderConfigReference();
    expect(table).toContain('| `flows[].legalBasis` | string | yes |  | `consent_by_conduct`, `explicit_consent`, `legitimate_interest` |');
    expect(table).toContain('| `api.port` | integer | no | `8480` | 0 to 65535 |');
    expect(table).toMatch(/\| `ari\.url` \|.*Environment: `CONSENTLINE_ARI_URL`\. \|/);
    expect(table).not.toContain('(no description)');
  });

  it('the committed guide is what `npm run docs:config` generates (configuration, environment, CLI commands)', () => {
    const committed = readFileSync(guidePath, 'utf8');
    expect(committed).toContain(CONFIG_BEGIN);
    expect(committed).toContain(ENV_BEGIN);
    expect(committed).toContain(CLI_BEGIN);
    // On failure: run `npm run docs:config` and commit docs/admin-guide.md.
    expect(committed).toBe(regenerateAdminGuide(committed));
  });

  it('replaceBetween keeps the markers and refuses a doc without them', () => {
    const doc = `a\n${CONFIG_BEGIN}\nold\n${CONFIG_END}\nb`;
    expect(replaceBetween(doc, CONFIG_BEGIN, CONFIG_END, 'new')).toBe(`a\n${CONFIG_BEGIN}\nnew\n${CONFIG_END}\nb`);
    expect(() => replaceBetween('no markers', ENV_BEGIN, ENV_END, 'x')).toThrow(/markers not found/);
  });
});
