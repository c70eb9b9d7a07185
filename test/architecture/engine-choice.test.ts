import { describe, expect, it } from 'vitest';
import { readSource, sourceFiles } from './source-files.js';

/**
 * The database engine is chosen once (issue 20): `engineFor(target)` in src/db/engine.ts picks
 * SQLite or PostgreSQL, and the chosen `Engine` (src/db/engine-sqlite.ts, engine-pg.ts) hands out
 * the ports every service and command uses. No other file branches on the engine: not the
 * service's composition (src/db/service-database.ts asks the engine), not the CLI (which asks
 * `engine.file` where it needs a directory beside the database), not a store.
 *
 * Allowed: the choice itself, and src/db/pg-url.ts, which parses `database.url` into a target
 * and describes one for logs. There is no list of exceptions to shrink: it ended empty.
 */
const ALLOWED = ['src/db/engine.ts', 'src/db/pg-url.ts'];

const ENGINE_BRANCH = /\b(kind|engine)\s*[!=]==?\s*['"](sqlite|postgres|pg)['"]/;
const ENGINE_SWITCH = /\bcase\s*['"](sqlite|postgres|pg)['"]\s*:/;

describe('the database engine is chosen in one place', () => {
  it('no file but the choice and the URL parser branches on the engine', () => {
    const branching = sourceFiles('src').filter((path) => {
      if (ALLOWED.includes(path)) return false;
      const text = readSource(path);
      return ENGINE_BRANCH.test(text) || ENGINE_SWITCH.test(text);
    });
    expect(branching).toEqual([]);
  });

  it('the choice is still where this test says it is', () => {
    for (const path of ALLOWED) expect(ENGINE_BRANCH.test(readSource(path)), path).toBe(true);
  });

  it('the grep sees the forms a branch takes', () => {
    expect(ENGINE_BRANCH.test("if (target.kind === 'sqlite') {")).toBe(true);
    expect(ENGINE_BRANCH.test('to.target.kind !== "postgres"')).toBe(true);
    expect(ENGINE_BRANCH.test("database.engine === 'postgres' ? a : b")).toBe(true);
    expect(ENGINE_BRANCH.test("if (kind == 'pg')")).toBe(true);
    expect(ENGINE_SWITCH.test("  case 'sqlite':")).toBe(true);
    expect(ENGINE_BRANCH.test("store.kind === 's3'")).toBe(false);
    expect(ENGINE_SWITCH.test("case 's3':")).toBe(false);
  });
});
