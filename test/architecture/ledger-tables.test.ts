import { describe, expect, it } from 'vitest';
import { readSource, sourceFiles } from './source-files.js';

/**
 * The ledger's `events` table is reached through src/evidence only (issue 20). dependency-cruiser
 * sees imports, not SQL, so this test reads the SQL: any FROM / INTO / JOIN / UPDATE of `events`,
 * or its name as a string (SQL built from it), outside the places below is an offender.
 */
const ALLOWED = [
  /^src\/evidence\//,
  // Schema migrations create and alter the table.
  /^src\/db\/(pg-)?migrations\.ts$/,
];

const LEDGER_SQL = /\b(FROM|INTO|JOIN|UPDATE)\s+["`]?events\b(?![-\w.])/;
/** The table's name as a string, for SQL built from it (`FROM ${table}`, a table list to copy). */
const LEDGER_NAME = /(['"`])events\1/;

/** Lines of code (not comments) matching any of `patterns`, as `n: line`. */
function linesMatching(text: string, patterns: readonly RegExp[]): string[] {
  return text
    .split('\n')
    .map((line, i) => ({ line, n: i + 1 }))
    .filter(({ line }) => !/^\s*(\/\/|\*|\/\*)/.test(line) && patterns.some((re) => re.test(line)))
    .map(({ line, n }) => `${n}: ${line.trim()}`);
}

export const ledgerQueries = (text: string) => linesMatching(text, [LEDGER_SQL, LEDGER_NAME]);

/** SQL naming the ledger's projections: the calls, the caller data behind the chain, the marketing registry. */
const PROJECTION_SQL = /\b(FROM|INTO|JOIN|UPDATE)\s+["`]?(calls|subjects|marketing_consents)\b(?![-\w.])/;

export const projectionQueries = (text: string) => linesMatching(text, [PROJECTION_SQL]);

/** Files outside the allowed places and what `find` finds in them, as test failure text. */
const offenders = (find: (text: string) => string[]) =>
  sourceFiles('src')
    .filter((path) => !ALLOWED.some((re) => re.test(path)))
    .map((path) => [path, find(readSource(path))] as const)
    .filter(([, hits]) => hits.length > 0)
    .map(([path, hits]) => `${path}\n  ${hits.join('\n  ')}`);

describe('the ledger table is queried only by src/evidence', () => {
  // No list of exceptions to shrink: it ended empty (migrate-store copies the ledger through
  // src/evidence/ledger-copy.ts, recordings and retention ask src/evidence/ledger-lookups.ts).
  it('no file outside evidence and the migrations queries `events` or names it for SQL', () => {
    expect(offenders(ledgerQueries)).toEqual([]);
  });

  it('the grep finds the forms a query takes and skips prose', () => {
    expect(ledgerQueries('const q = `SELECT seq FROM events WHERE call_id = ?`;')).toHaveLength(1);
    expect(ledgerQueries("db.prepare('INSERT INTO events (seq) VALUES (?)')")).toHaveLength(1);
    expect(ledgerQueries('  UPDATE "events" SET x = 1')).toHaveLength(1);
    expect(ledgerQueries('SELECT * FROM calls JOIN events e ON e.call_id = calls.id')).toHaveLength(1);
    expect(ledgerQueries("const tables = ['events', 'calls'];")).toHaveLength(1);
    expect(ledgerQueries("copy(db, client, 'events', spec)")).toHaveLength(1);
    expect(ledgerQueries('SELECT * FROM events_archive')).toEqual([]);
    expect(ledgerQueries("label: 'verifying: events'")).toEqual([]);
    expect(ledgerQueries('/** Caches rebuilt from events on first use */')).toEqual([]);
    expect(ledgerQueries('// reads FROM events')).toEqual([]);
  });
});

describe("the ledger's projections are queried only by src/evidence", () => {
  // Retention asks evidence's CallFacts (src/evidence/call-facts.ts) for the calls of a flow
  // before a cut-off, a caller's calls, the flow and caller of a recording's call, and erases
  // caller data through it.
  it('no file outside evidence and the migrations queries `calls`, `subjects` or `marketing_consents`', () => {
    expect(offenders(projectionQueries)).toEqual([]);
  });

  it('the grep finds a read, an erasure and a join of a projection, and skips prose and look-alikes', () => {
    expect(projectionQueries('SELECT call_id FROM calls WHERE flow_id = ?')).toHaveLength(1);
    expect(projectionQueries("db.prepare('DELETE FROM subjects WHERE call_id = ?')")).toHaveLength(1);
    expect(projectionQueries('  UPDATE calls SET caller_lookup = NULL')).toHaveLength(1);
    expect(projectionQueries('FROM recordings r LEFT JOIN calls c ON c.call_id = r.call_id')).toHaveLength(1);
    expect(projectionQueries('EXISTS (SELECT 1 FROM marketing_consents m)')).toHaveLength(1);
    expect(projectionQueries('SELECT * FROM calls_archive')).toEqual([]);
    expect(projectionQueries("log.child({ component: 'calls' })")).toEqual([]);
    expect(projectionQueries('// reads FROM calls')).toEqual([]);
  });
});
