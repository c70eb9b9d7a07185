/**
 * The overview's figures from the API's rows (GET /stats/overview): per day, per flow and
 * language, and in total; and the same rows as CSV. Pure, so the chart and the CSV are checked
 * against each other in unit tests and in the browser.
 */
import { daysBetween } from './chart-scale.js';

export const OUTCOME_KEYS = ['continued', 'objected', 'abandoned', 'failed', 'open'] as const;
export type OutcomeKey = (typeof OUTCOME_KEYS)[number];
export const COUNT_KEYS = ['calls', ...OUTCOME_KEYS, 'clauseListens', 'marketingYes', 'marketingNo'] as const;
export type CountKey = (typeof COUNT_KEYS)[number];
export type Counts = Record<CountKey, number>;

/** One row as GET /stats/overview gives it. */
export interface OverviewApiRow extends Counts {
  readonly day: string;
  readonly flowId: string;
  readonly language: string | null;
}

export interface OverviewFigures {
  readonly totals: Counts;
  /** Every day of the period, zero days included, in order. */
  readonly days: ReadonlyArray<{ readonly day: string } & Counts>;
  /** Per flow and language (null: no language chosen), ordered by flow then language. */
  readonly segments: ReadonlyArray<{ readonly flowId: string; readonly language: string | null } & Counts>;
}

const zero = (): Counts => Object.fromEntries(COUNT_KEYS.map((k) => [k, 0])) as Counts;
const add = (into: Counts, row: Counts) => {
  for (const k of COUNT_KEYS) into[k] += row[k];
};

export function overviewFigures(rows: readonly OverviewApiRow[], period: { from: string; to: string }): OverviewFigures {
  const totals = zero();
  const days = new Map(daysBetween(period.from, period.to).map((d) => [d, zero()]));
  const segments = new Map<string, { flowId: string; language: string | null; counts: Counts }>();
  for (const r of rows) {
    add(totals, r);
    const day = days.get(r.day);
    if (day) add(day, r);
    const key = `${r.flowId}\u0000${r.language ?? ''}`;
    const seg = segments.get(key) ?? { flowId: r.flowId, language: r.language, counts: zero() };
    add(seg.counts, r);
    segments.set(key, seg);
  }
  return {
    totals,
    days: [...days.entries()].map(([day, c]) => ({ day, ...c })),
    segments: [...segments.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, s]) => ({ flowId: s.flowId, language: s.language, ...s.counts })),
  };
}

export const CSV_COLUMNS = ['day', 'flow', 'language', 'calls', 'continued', 'objected', 'abandoned', 'failed', 'open', 'clause_listens', 'marketing_yes', 'marketing_no'] as const;

/**
 * One CSV cell (RFC 4180): quoted when it holds a comma, quote or line break; a text that a
 * spreadsheet would run as a formula (= + - @, tab, CR first) gets a leading apostrophe.
 */
export function csvCell(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The rows as CSV: a header, then one line per day, flow and language, CRLF line ends. */
export function overviewCsv(rows: readonly OverviewApiRow[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of rows) {
    lines.push(
      [r.day, r.flowId, r.language, r.calls, r.continued, r.objected, r.abandoned, r.failed, r.open, r.clauseListens, r.marketingYes, r.marketingNo].map(csvCell).join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}
