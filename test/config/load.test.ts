import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { asteriskServers } from '../../src/config/servers.js';
import { GOOD, configFiles } from './config-files.js';

const file = configFiles('cl-config-');

describe('config loading', () => {
  it('no file at the default path → the built-in config', () => {
    const r = loadConfig({ env: { CONSENTLINE_CONFIG: undefined } as NodeJS.ProcessEnv });
    // The repository has no ./consentline.yaml; the built-in config must itself be valid.
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.source.kind).toBe('builtin');
  });

  it('a file asked for by name that does not exist is an error, not the defaults', () => {
    const r = loadConfig({ path: file('').replace(/\.yaml$/, '-missing.yaml'), env: {} });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems[0]).toMatch(/cannot read \(ENOENT\)/);
  });

  it('a valid file loads, frozen, with defaults filled in', () => {
    const r = loadConfig({ path: file(GOOD), env: {} });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.flows[0]!.timeouts.digitSeconds).toBe(5);
    expect(r.config.ari.app).toBe('consentline');
    expect(Object.isFrozen(r.config.flows[0])).toBe(true);
  });

  it('lists every problem by path, the unknown route in the administrator’s notation', () => {
    const bad = GOOD.replace('route: agents }', 'route: sales }').replace('legalBasis: consent_by_conduct', 'legalBasis: vibes');
    const r = loadConfig({ path: file(bad), env: {} });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.join('\n')).toMatch(/flows\[0\]\.legalBasis: /);
    // Schema errors come first; cross-reference errors once the shape is right.
    const r2 = loadConfig({ path: file(GOOD.replace('route: agents }', 'route: sales }')), env: {} });
    expect(r2.ok).toBe(false);
    if (!r2.ok) expect(r2.problems).toContain('flows[0].menu["1"].route: unknown route "sales"');
  });

  it('cross-checks: objection and clause keys are mandatory, one default flow, duplicate DIDs', () => {
    const text = GOOD.replace('      "9": { action: objection }\n', '').replace('      "8": { action: clause }\n', '') +
      `  - id: second\n    default: true\n    dids: ["+48221", "+48221"]\n    legalBasis: explicit_consent\n    menu: { "9": { action: objection }, "8": { action: clause } }\n    defaultRoute: agents\n    fallbackRoute: nowhere\n`;
    const r = loadConfig({ path: file(text), env: {} });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toEqual(
      expect.arrayContaining([
        'flows: exactly one flow must have "default: true" (found 2)',
        expect.stringMatching(/^flows\[0\]\.menu: the menu must offer an "objection" key/),
        expect.stringMatching(/^flows\[0\]\.menu: the menu must offer a "clause" key/),
        'flows[1].dids[1]: DID "+48221" is already used by flows[1]',
        'flows[1].fallbackRoute: unknown route "nowhere"',
      ]),
    );
  });

  it('unknown keys, bad digits and wrong types are named', () => {
    const text = GOOD.replace('"1": { action: route, route: agents }', '"12": { action: route, route: agents }').replace(
      'defaultRoute: agents',
      'defaultRoute: agents\n    timeouts: { digitSeconds: "five" }\n    colour: blue',
    );
    const r = loadConfig({ path: file(text), env: {} });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const all = r.problems.join('\n');
    expect(all).toMatch(/flows\[0\]\.menu\["12"\]: invalid key: must be one DTMF key/);
    expect(all).toMatch(/flows\[0\]: unknown key\(s\): colour/);
    expect(all).toMatch(/flows\[0\]\.timeouts\.digitSeconds: /);
  });

  it('YAML syntax errors are reported with the file name, without a stack trace', () => {
    const r = loadConfig({ path: file('flows: [\n  - id: x\n   bad'), env: {} });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problems[0]).toMatch(/c\d+\.yaml:\d+:\d+: YAML: /);
      expect(r.problems.join()).not.toMatch(/at .*\.js:\d+/);
    }
  });

  it('secrets and endpoints come from the environment', () => {
    const r = loadConfig({
      path: file(GOOD),
      env: { CONSENTLINE_ARI_PASSWORD: 's3cret', CONSENTLINE_ARI_URL: 'http://10.0.0.5:8088', CONSENTLINE_API_PORT: '9000' },
    });
    expect(r.ok && r.config.ari.password).toBe('s3cret');
    expect(r.ok && r.config.ari.url).toBe('http://10.0.0.5:8088');
    expect(r.ok && r.config.api.port).toBe(9000);
    const bad = loadConfig({ path: file(GOOD), env: { CONSENTLINE_API_PORT: 'eighty' } });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.problems).toEqual(['CONSENTLINE_API_PORT: must be an integer, got "eighty"']);
  });

  it('several Asterisk servers: each inherits the shared ARI user and password unless it names its own', () => {
    const r = loadConfig({
      path: file(`${GOOD}
recordings: { enabled: false }
ari:
  username: consentline
  servers:
    - { name: pbx-waw, url: "http://10.0.0.5:8088" }
    - { name: pbx-krk, url: "http://10.0.1.5:8088", username: cl-krk, password: krk-secret }
`),
      env: { CONSENTLINE_ARI_PASSWORD: 'shared-secret' },
    });
    if (!r.ok) throw new Error(r.problems.join('\n'));
    expect(asteriskServers(r.config)).toEqual([
      { name: 'pbx-waw', url: 'http://10.0.0.5:8088', username: 'consentline', password: 'shared-secret', app: 'consentline', requestTimeoutMs: 3000, maxSockets: 64 },
      { name: 'pbx-krk', url: 'http://10.0.1.5:8088', username: 'cl-krk', password: 'krk-secret', app: 'consentline', requestTimeoutMs: 3000, maxSockets: 64 },
    ]);
    // Without a list, the single `ari` block is the one server.
    const single = loadConfig({ path: file(GOOD), env: {} });
    expect(single.ok && asteriskServers(single.config).map((s) => [s.name, s.url])).toEqual([['asterisk-1', 'http://127.0.0.1:8088']]);
  });

  it('server names and URLs must be unique; an empty list or a bad URL is named', () => {
    const r = loadConfig({
      path: file(`${GOOD}
recordings: { enabled: false }
ari:
  servers:
    - { name: pbx-a, url: "http://10.0.0.5:8088" }
    - { name: pbx-a, url: "http://10.0.0.5:8088" }
`),
      env: {},
    });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problems).toEqual([
        'ari.servers[1].name: duplicate server name "pbx-a"',
        'ari.servers[1].url: server URL http://10.0.0.5:8088 is listed twice',
      ]);
    }
    const withRecordings = loadConfig({
      path: file(`${GOOD}\nrecordings: { enabled: true }\nari:\n  servers: [{ name: a, url: "http://10.0.0.5:8088" }, { name: b, url: "http://10.0.0.6:8088" }]\n`),
      env: {},
    });
    expect(!withRecordings.ok && withRecordings.problems.join()).toMatch(/^recordings\.enabled: recordings follow one Asterisk server/);
    const empty = loadConfig({ path: file(`${GOOD}\nrecordings: { enabled: false }\nari:\n  servers: []\n`), env: {} });
    expect(!empty.ok && empty.problems.join()).toMatch(/^ari\.servers: /);
    const badUrl = loadConfig({ path: file(`${GOOD}\nrecordings: { enabled: false }\nari:\n  servers: [{ name: x, url: "not a url" }]\n`), env: {} });
    expect(!badUrl.ok && badUrl.problems.join()).toMatch(/^ari\.servers\[0\]\.url: /);
  });

  it('CONSENTLINE_DATABASE_URL selects the database; with a file path as well it is a clear error', () => {
    const r = loadConfig({ path: file(GOOD), env: { CONSENTLINE_DATABASE_URL: 'postgres://cl@db.internal:5432/consentline' } });
    expect(r.ok && r.config.database.url).toBe('postgres://cl@db.internal:5432/consentline');
    const both = loadConfig({ path: file(GOOD), env: { CONSENTLINE_DATABASE_URL: 'postgres://cl@db/x', CONSENTLINE_DB: '/var/lib/cl.sqlite' } });
    expect(!both.ok && both.problems).toEqual(['database.url: set database.url or database.path, not both']);
  });

  it('the shipped example config is valid', () => {
    const r = loadConfig({ path: 'consentline.example.yaml', env: {} });
    if (!r.ok) throw new Error(r.problems.join('\n'));
  });

  it('the shipped example shows every top-level section, and its values are the defaults', () => {
    const example = parse(readFileSync('consentline.example.yaml', 'utf8')) as Record<string, unknown>;
    expect(Object.keys(example).sort()).toEqual(Object.keys(ConfigSchema.shape).sort());
    const r = loadConfig({ path: 'consentline.example.yaml', env: {} });
    if (!r.ok) throw new Error(r.problems.join('\n'));
    const defaults = ConfigSchema.parse({ routes: example.routes, flows: example.flows });
    for (const section of ['service', 'ari', 'api', 'database', 'evidence', 'prompts', 'recordings', 'retention'] as const) {
      expect(r.config[section], section).toEqual(defaults[section]);
    }
  });
});
