import { describe, expect, it } from 'vitest';
import { CSV_COLUMNS, csvCell, overviewCsv, overviewFigures, type OverviewApiRow } from '../../src/console/overview-data.js';

const row = (over: Partial<OverviewApiRow> & Pick<OverviewApiRow, 'day' | 'flowId'>): OverviewApiRow => ({
  language: 'pl',
  calls: 0,
  continued: 0,
  objected: 0,
  abandoned: 0,
  failed: 0,
  open: 0,
  clauseListens: 0,
  marketingYes: 0,
  marketingNo: 0,
  ...over,
});

const ROWS = [
  row({ day: '2026-12-01', flowId: 'hotline', calls: 5, continued: 3, objected: 1, abandoned: 1, clauseListens: 2, marketingYes: 2, marketingNo: 1 }),
  row({ day: '2026-12-01', flowId: 'hotline', language: 'en', calls: 1, continued: 1, marketingYes: 1 }),
  row({ day: '2026-12-03', flowId: 'hotline', language: null, calls: 2, failed: 1, open: 1 }),
  row({ day: '2026-12-03', flowId: 'sales', calls: 4, continued: 4, clauseListens: 1, marketingNo: 4 }),
];

describe('overviewFigures', () => {
  it('sums per day (zero days kept), per flow and language, and in total', () => {
    const fig = overviewFigures(ROWS, { from: '2026-11-30', to: '2026-12-03' });
    expect(fig.totals).toEqual({ calls: 12, continued: 8, objected: 1, abandoned: 1, failed: 1, open: 1, clauseListens: 3, marketingYes: 3, marketingNo: 5 });
    expect(fig.days.map((d) => [d.day, d.calls, d.continued])).toEqual([
      ['2026-11-30', 0, 0],
      ['2026-12-01', 6, 4],
      ['2026-12-02', 0, 0],
      ['2026-12-03', 6, 4],
    ]);
    expect(fig.segments.map((s) => [s.flowId, s.language, s.calls])).toEqual([
      ['hotline', null, 2],
      ['hotline', 'en', 1],
      ['hotline', 'pl', 5],
      ['sales', 'pl', 4],
    ]);
  });

  it('counts a row outside the period in the totals and segments but on no day', () => {
    const fig = overviewFigures([row({ day: '2027-01-01', flowId: 'x', calls: 1, open: 1 })], { from: '2026-12-01', to: '2026-12-02' });
    expect(fig.totals.calls).toBe(1);
    expect(fig.days.every((d) => d.calls === 0)).toBe(true);
  });
});

describe('CSV', () => {
  it('writes a header and one line per row with CRLF ends, an unknown language empty', () => {
    const csv = overviewCsv(ROWS);
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe(CSV_COLUMNS.join(','));
    expect(lines[1]).toBe('2026-12-01,hotline,pl,5,3,1,1,0,0,2,2,1');
    expect(lines[3]).toBe('2026-12-03,hotline,,2,0,0,0,1,1,0,0,0');
    expect(lines).toHaveLength(ROWS.length + 2);
    expect(lines.at(-1)).toBe('');
    expect(overviewCsv([])).toBe(`${CSV_COLUMNS.join(',')}\r\n`);
  });

  it('quotes separators and neutralises what a spreadsheet would run as a formula', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('line\nbreak')).toBe('"line\nbreak"');
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell('-flow')).toBe("'-flow");
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('@a')).toBe("'@a");
    expect(csvCell(-3)).toBe('-3');
    expect(csvCell(null)).toBe('');
  });
});
