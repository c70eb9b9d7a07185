import { describe, expect, it } from 'vitest';
import { readSource, sourceFiles } from './source-files.js';

/**
 * The ledger's `events` table is reached through src/evidence only (issue 20). dependency-cruiser
 * sees imports, not SQL, so this test reads the SQL: any FROM / INTO / JOIN / UPDATE of `events`
 * outside the places below is an offender.
 */
const ALLOWED = [
  /^src\/evidence\//,
  // Schema migrations create and alter the table.
  /^src\/db\/(pg-)?migrations\.ts$/,
];

/**
 * Queries that read `events` from outside evidence today. They should move behind evidence-module
 * functions ("the recording.deleted event of recording R", "the ledger's head"); the list may only
 * shrink: an entry that no longer queries the table fails the test until it is taken off.
 */
const OFFENDERS_TODAY: readonly string[] = [];

const LEDGER_SQL = /\b(FROM|INTO|JOIN|UPDATE)\s+["`]?events\b(?![-\w.])/;

export function ledgerQueries(text: string): string[] {
  return text
    .split('\n')
    .map((line, i) => ({ line, n: i + 1 }))
    .filter(({ line }) => !/^\s*(\/\/|\*|\/\*)/.test(line) && LEDGER_SQL.test(line))
    .map(({ line, n }) => `${n}: ${line.trim()}`);
}

describe('the ledger table is queried only by src/evidence', () => {
  const touching = new Map(
    sourceFiles('src')
      .filter((path) => !ALLOWED.some((re) => re.test(path)))
      .map((path) => [path, ledgerQueries(readSource(path))] as const)
      .filter(([, hits]) => hits.length > 0),
  );

  it('no file outside evidence, the migrations and the allow-list queries `events`', () => {
    const offenders = [...touching].filter(([path]) => !OFFENDERS_TODAY.includes(path)).map(([path, hits]) => `${path}\n  ${hits.join('\n  ')}`);
    expect(offenders).toEqual([]);
  });

  it('every allow-listed file still queries it (take fixed files off the list)', () => {
    expect(OFFENDERS_TODAY.filter((path) => !touching.has(path))).toEqual([]);
  });

  it('the grep finds the forms a query takes and skips prose', () => {
    expect(ledgerQueries('const q = `SELECT seq FROM events WHERE call_id = ?`;')).toHaveLength(1);
    expect(ledgerQueries("db.prepare('INSERT INTO events (seq) VALUES (?)')")).toHaveLength(1);
    expect(ledgerQueries('  UPDATE "events" SET x = 1')).toHaveLength(1);
    expect(ledgerQueries('SELECT * FROM calls JOIN events e ON e.call_id = calls.id')).toHaveLength(1);
    expect(ledgerQueries('SELECT * FROM events_archive')).toEqual([]);
    expect(ledgerQueries('/** Caches rebuilt from events on first use */')).toEqual([]);
    expect(ledgerQueries('// reads FROM events')).toEqual([]);
  });
});
