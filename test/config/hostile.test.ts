import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { BOMB, GOOD, configFiles } from './config-files.js';

const file = configFiles('cl-hostile-');

function problemsOf(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  const r = loadConfig({ path: file(text), env });
  if (r.ok) throw new Error('expected the file to be refused');
  return [...r.problems];
}

describe('hostile configuration files', () => {
  it('a YAML alias bomb is a config problem naming the cause, not a thrown ReferenceError', () => {
    const problems = problemsOf(BOMB);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/c\d+\.yaml: YAML: too many alias references/);
    expect(problems[0]).not.toMatch(/ReferenceError|at .*\.js:\d+/);
  });

  it('an alias to an anchor that does not exist is a config problem too', () => {
    expect(problemsOf(`${GOOD}\ncontroller: *nowhere\n`).join('\n')).toMatch(/YAML: .*alias.*nowhere/i);
  });

  it('YAML syntax errors carry line:column and no dangling colon', () => {
    const problems = problemsOf('flows: [\n  - id: x\n   bad');
    expect(problems.length).toBeGreaterThan(0);
    for (const p of problems) {
      expect(p).toMatch(/c\d+\.yaml:\d+:\d+: YAML: \S/);
      expect(p).not.toMatch(/:\s*$/);
      expect(p).not.toContain('\n');
    }
    expect(problemsOf(`${GOOD}\napi: { port: 1 }\napi: { port: 2 }\n`)).toEqual([expect.stringMatching(/c\d+\.yaml:17:1: YAML: Map keys must be unique$/)]);
  });

  it('port: 1e400 says what was expected and that Infinity was found', () => {
    expect(problemsOf(`${GOOD}\napi: { port: 1e400 }\n`)).toEqual(['api.port: expected an integer 0-65535, found Infinity']);
  });

  it('a wrong type says expected X, found Y; a missing key says it is required', () => {
    const problems = problemsOf(`${GOOD}\napi: { port: abc }\nretention: { enabled: "yes" }\n`);
    expect(problems).toEqual([
      'api.port: expected an integer 0-65535, found string "abc"',
      'retention.enabled: expected true or false, found string "yes"',
    ]);
    const missing = problemsOf(GOOD.replace('    legalBasis: consent_by_conduct\n', ''));
    expect(missing).toEqual([
      'flows[0].legalBasis: is required: expected one of consent_by_conduct, explicit_consent, legitimate_interest, found nothing',
    ]);
    const fraction = problemsOf(`${GOOD}\napi: { port: 80.5 }\nrecordings: { worker: { pollSeconds: 0 } }\n`);
    expect(fraction).toEqual([
      'api.port: expected an integer 0-65535, found 80.5',
      'recordings.worker.pollSeconds: expected a number 0.01-60, found 0',
    ]);
  });

  it('enum, format and unknown-key problems name what is allowed and what was found', () => {
    const problems = problemsOf(
      GOOD.replace('legalBasis: consent_by_conduct', 'legalBasis: vibes').replace('    defaultRoute: agents', '    colour: blue\n    defaultRoute: agents') +
        'ari: { url: "not a url" }\n',
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        'flows[0].legalBasis: expected one of consent_by_conduct, explicit_consent, legitimate_interest, found string "vibes"',
        expect.stringMatching(/^flows\[0\]: unknown key\(s\): colour \(expected one of: id, dids, default, /),
        'ari.url: expected a URL, found string "not a url"',
      ]),
    );
  });

  it('schema errors and cross-check errors come in one round', () => {
    const text = GOOD.replace('route: agents }', 'route: sales }').replace('fallbackRoute: fallback', 'fallbackRoute: nowhere') + '\napi: { port: -1 }\n';
    expect(problemsOf(text)).toEqual([
      'api.port: expected an integer 0-65535, found -1',
      'flows[0].fallbackRoute: unknown route "nowhere"',
      'flows[0].menu["1"].route: unknown route "sales"',
    ]);
  });

  it('a bad environment override is reported together with the file’s problems', () => {
    expect(problemsOf(`${GOOD}\nservice: { logLevel: loud }\n`, { CONSENTLINE_API_PORT: 'eighty' })).toEqual([
      'CONSENTLINE_API_PORT: must be an integer, got "eighty"',
      'service.logLevel: expected one of fatal, error, warn, info, debug, trace, found string "loud"',
    ]);
  });

  it('a field that is itself invalid does not cause invented cross-check problems', () => {
    // The objection entry is malformed: the schema says so, the cross-check must not add "no objection key".
    const text = GOOD.replace('"9": { action: objection }', '"9": { action: objection, route: 5 }').replace('default: true', 'default: "yes"');
    const problems = problemsOf(text);
    expect(problems).toEqual([
      'flows[0].default: expected true or false, found string "yes"',
      'flows[0].menu["9"].route: expected a string, found 5',
    ]);
  });

  it('secrets are never quoted in a problem', () => {
    const problems = problemsOf(`${GOOD}\nari: { password: 123456789 }\nevidence: { pepper: ["hunter2-pepper"] }\n`);
    expect(problems.join('\n')).not.toMatch(/123456789|hunter2/);
    expect(problems).toEqual([
      'ari.password: expected a string, found a number (not shown: a secret)',
      'evidence.pepper: expected a string, found a list of 1 item(s) (not shown: a secret)',
    ]);
  });

  it('a document that is not a mapping, an empty file and absurd nesting are config problems', () => {
    expect(problemsOf('- a\n- b\n')).toEqual(['(root): expected a mapping, found a list of 2 item(s)']);
    expect(problemsOf('')).toEqual(['routes: is required: expected a mapping, found nothing', 'flows: is required: expected a list, found nothing']);
    const deep = problemsOf(`flows: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`);
    expect(deep).toEqual([expect.stringMatching(/c\d+\.yaml:1:\d+: YAML: nested too deeply to read/)]);
    const nested = problemsOf(`${GOOD}\ncontroller: ${'{a: '.repeat(40)}1${'}'.repeat(40)}\n`);
    expect(nested).toContain('controller.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a: expected at most 32 levels of nesting, found more');
  });

  it('a file over 1 MiB is refused before it is parsed', () => {
    const problems = problemsOf(`${GOOD}\n# ${'x'.repeat(1024 * 1024)}\n`);
    expect(problems).toEqual([expect.stringMatching(/c\d+\.yaml: the file is 1048\d{3} bytes; a configuration file may be at most 1048576 bytes \(1 MiB\)$/)]);
  });

  it('a 500 kB string is refused with its length, not echoed', () => {
    const long = 'A'.repeat(500_000);
    const problems = problemsOf(`${GOOD}\ncontroller: { name: "${long}" }\n`);
    expect(problems).toEqual(['controller.name: expected at most 4096 characters, found a string of 500000 characters']);
  });

  it('relative paths must not climb out of the working directory', () => {
    const problems = problemsOf(`${GOOD}\nservice: { dataDir: "../../.." }\nprompts: { dir: "audio/../../x" }\nrecordings: { spoolDir: "/srv/pbx/monitor", keys: { mode: local, keyFile: "../key" } }\n`);
    expect(problems).toEqual([
      'service.dataDir: expected an absolute path or a relative one inside the working directory, found "../../.." (climbs out of it)',
      'prompts.dir: expected an absolute path or a relative one inside the working directory, found "audio/../../x" (climbs out of it)',
      'recordings.keys.keyFile: expected an absolute path or a relative one inside the working directory, found "../key" (climbs out of it)',
    ]);
    expect(problemsOf(`${GOOD}\nservice: { dataDir: "/" }\n`)).toEqual(['service.dataDir: expected a directory of its own, found "/" (the filesystem root)']);
    expect(problemsOf(GOOD, { CONSENTLINE_DATA_DIR: '../elsewhere' })).toEqual([
      'service.dataDir: expected an absolute path or a relative one inside the working directory, found "../elsewhere" (climbs out of it)',
    ]);
    // Absolute paths and relative paths inside the working directory are fine.
    const ok = loadConfig({ path: file(`${GOOD}\nservice: { dataDir: "./data/../data2" }\nprompts: { dir: "/opt/prompts" }\n`), env: {} });
    expect(ok.ok).toBe(true);
  });
});
