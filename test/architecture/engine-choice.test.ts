import { describe, expect, it } from 'vitest';
import { readSource, sourceFiles } from './source-files.js';

/**
 * The database engine is to be chosen once, where the service is put together (issue 20): no
 * `kind === 'sqlite'` / `'postgres'` branch elsewhere. Allowed: the parse of `database.url`
 * into a target and the composition root's choice (src/db/engine.ts: `engineFor(target)`).
 */
const ALLOWED = ['src/db/engine.ts', 'src/db/pg-url.ts', 'src/db/service-database.ts'];

/**
 * Files that still branch on the engine today (per-engine adapters behind one choice would
 * remove them). The list may only shrink: an entry that no longer branches fails the test.
 */
const BRANCHING_TODAY: readonly string[] = [];

const ENGINE_BRANCH = /\bkind\s*[!=]==\s*['"](sqlite|postgres|pg)['"]/;

describe('the database engine is chosen in one place', () => {
  const branching = sourceFiles('src').filter((path) => !ALLOWED.includes(path) && ENGINE_BRANCH.test(readSource(path)));

  it('no file outside the allowed ones and the allow-list branches on the engine', () => {
    expect(branching.filter((path) => !BRANCHING_TODAY.includes(path))).toEqual([]);
  });

  it('every allow-listed file still branches (take fixed files off the list)', () => {
    expect(BRANCHING_TODAY.filter((path) => !branching.includes(path))).toEqual([]);
  });

  it('the grep sees the forms a branch takes', () => {
    expect(ENGINE_BRANCH.test("if (target.kind === 'sqlite') {")).toBe(true);
    expect(ENGINE_BRANCH.test('to.target.kind !== "postgres"')).toBe(true);
    expect(ENGINE_BRANCH.test("store.kind === 's3'")).toBe(false);
  });
});
