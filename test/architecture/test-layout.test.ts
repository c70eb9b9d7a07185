import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSource, repoRoot, sourceFiles } from './source-files.js';

/**
 * Tests follow the code they test (issue 20, item 6): a unit test lives in the folder that
 * mirrors its module (`src/recordings/ami/watcher.ts` → `test/recordings/ami/watcher.test.ts`),
 * and reaches other modules only through what those modules offer each other, never through a
 * file private to them. Suites across modules live in the folders below, each for a reason.
 */
const SUITES: Readonly<Record<string, string>> = {
  'test/scenarios': 'scripts of calls and requests through the whole service, on the emulators',
  'test/contract': 'one contract per store or port, run on SQLite and PostgreSQL alike',
  'test/asterisk': 'the same scenarios on a real Asterisk (project asterisk)',
  'test/recordings/s3': 'recordings and retention against a real S3 (project recordings-s3)',
  'test/startup': 'the composition root: main.ts and server.ts starting, logging and stopping',
  'test/metrics': 'the composition root: service-metrics.ts, and the metrics of a live service',
  'test/emulators': 'the ARI and AMI emulators the other tests drive',
  'test/support': 'service gates and helpers shared by suites',
  'test/guards': 'guards around the whole run (no writes into system directories)',
  'test/architecture': 'the rules of this file and its neighbours',
  'test/docs': 'documents checked against the code',
  'test/demo': 'the demo, end to end',
  'test/admin-kit': 'what ships for administrators: Asterisk configuration, packaging, prompts',
  'test/tools': 'the offline tools under tools/',
};

/** A test file's module: the top folder of src/ its folder mirrors; undefined for a suite. */
function moduleOf(testPath: string): string | undefined {
  const parts = testPath.split('/');
  return parts.length > 2 ? parts[1] : undefined;
}

const suiteOf = (path: string) => Object.keys(SUITES).find((s) => path.startsWith(`${s}/`));
const mirrored = (path: string) => {
  const dir = posix.dirname(path).replace(/^test/, 'src');
  return existsSync(join(repoRoot, dir)) && statSync(join(repoRoot, dir)).isDirectory();
};

const IMPORT = /(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;
function importsOf(path: string): string[] {
  const out: string[] = [];
  for (const m of readSource(path).matchAll(IMPORT)) {
    const target = posix.normalize(posix.join(posix.dirname(path), m[1] ?? m[2]!)).replace(/\.js$/, '.ts');
    if (existsSync(join(repoRoot, target))) out.push(target);
  }
  return out;
}

const srcModule = (path: string) => (path.split('/').length > 2 ? path.split('/')[1]! : 'root');

// Pure domain code is for anyone (the list dependency-cruiser keeps free of I/O); so is a
// folder's index.ts, and any file another module of src/ imports.
const cruiser = createRequire(import.meta.url)(join(repoRoot, '.dependency-cruiser.cjs')) as {
  forbidden: Array<{ name: string; from: { path?: string | string[] } }>;
};
const DOMAIN = [cruiser.forbidden.find((r) => r.name === 'domain-no-io')!.from.path!].flat().map((p) => new RegExp(p));
const srcFiles = sourceFiles('src').filter((p) => p.endsWith('.ts'));
const offered = new Set(srcFiles.flatMap((file) => importsOf(file).filter((to) => srcModule(to) !== srcModule(file))));
const isPublic = (path: string) => offered.has(path) || path.endsWith('/index.ts') || DOMAIN.some((re) => re.test(path));


describe('tests follow the code', () => {
  const tests = sourceFiles('test').filter((p) => p.endsWith('.ts') && !p.startsWith('test/fixtures/'));

  it('every test file sits in a folder mirroring src/, or in a suite folder', () => {
    const astray = tests.filter((p) => p.endsWith('.test.ts') && !suiteOf(p) && !mirrored(p));
    expect(astray).toEqual([]);
  });

  const reaches = tests
    .filter((p) => !suiteOf(p))
    .flatMap((p) => importsOf(p).filter((to) => to.startsWith('src/') && srcModule(to) !== moduleOf(p) && !isPublic(to)).map((to) => `${p} -> ${to}`));

  // No list of exceptions: the last five reaches were taken out.
  it('no test reaches into a file private to another module', () => {
    expect(reaches).toEqual([]);
  });

  it('the check sees a reach: an API test importing the SQLite query class', () => {
    expect(isPublic('src/evidence/queries-sqlite.ts')).toBe(false);
    expect(isPublic('src/evidence/open-read-side.ts')).toBe(true);
    expect(isPublic('src/recordings/storage/index.ts')).toBe(true);
    expect(isPublic('src/evidence/merkle.ts')).toBe(true);
  });

  it('each suite folder exists', () => {
    expect(Object.keys(SUITES).filter((s) => !existsSync(join(repoRoot, s)))).toEqual([]);
  });
});
