import { describe, expect, it } from 'vitest';
import type { OverviewApiRow } from '../../../src/console/overview-data.js';
import { pageApp } from './page-app.js';

const today = new Date().toISOString().slice(0, 10);
const daysAgo = (n: number) => new Date(Date.parse(`${today}T00:00:00Z`) - n * 86_400_000).toISOString().slice(0, 10);
const zero = { continued: 0, objected: 0, abandoned: 0, failed: 0, open: 0, clauseListens: 0, marketingYes: 0, marketingNo: 0 };
const ROWS: OverviewApiRow[] = [
  { ...zero, day: daysAgo(2), flowId: 'hotline', language: 'pl', calls: 7, continued: 4, objected: 1, abandoned: 2, clauseListens: 3, marketingYes: 2, marketingNo: 2 },
  { ...zero, day: daysAgo(2), flowId: 'hotline', language: 'en', calls: 1, continued: 1, marketingYes: 1 },
  { ...zero, day: daysAgo(0), flowId: 'sales', language: null, calls: 3, failed: 1, open: 2 },
  { ...zero, day: daysAgo(45), flowId: 'hotline', language: 'pl', calls: 9, continued: 9 },
];

const figures = (body: string) => Object.fromEntries([...body.matchAll(/<dd data-figure="(\w+)">(\d+)/g)].map((m) => [m[1], Number(m[2])]));
const bars = (body: string, id: string) => {
  const svg = body.slice(body.indexOf(`<figure class="chart" id="${id}"`));
  return [...svg.slice(0, svg.indexOf('</figure>')).matchAll(/<rect class="s-(\w+)"[^>]*data-(?:label|row)="([^"]+)" data-series="\w+" data-value="(\d+)"/g)].map((m) => [m[2], m[1], Number(m[3])]);
};

describe('console overview', () => {
  it('draws the last 30 days by default: totals, a column per day, shares per flow and language, no script', async () => {
    const { app, session, asked } = await pageApp({ rows: ROWS });
    const { cookie } = await session('auditor');
    const r = await app.inject({ url: '/console/overview', headers: { cookie } });
    expect(r.statusCode, r.body).toBe(200);
    expect(asked.at(-1)).toEqual({ fromDay: daysAgo(29), toDay: today });
    expect(figures(r.body)).toEqual({ calls: 11, continued: 5, objected: 1, abandoned: 2, failed: 1, open: 2, clauseListens: 3, marketingYes: 3, marketingNo: 2 });
    expect((r.body.match(/<g class="column"/g) ?? []).length).toBe(30);
    expect(bars(r.body, 'chart-days')).toEqual([
      [daysAgo(2), 'continued', 5],
      [daysAgo(2), 'objected', 1],
      [daysAgo(2), 'abandoned', 2],
      [today, 'failed', 1],
      [today, 'open', 2],
    ]);
    expect(r.body).toContain('data-row="hotline · English" data-series="continued" data-value="1" data-share="100"');
    expect(r.body).toContain('data-row="sales · none chosen" data-series="open" data-value="2" data-share="67"');
    expect(r.body).not.toMatch(/<script(?! type="application\/json")/);
    expect(r.body).toContain(`href="/console/overview.csv?from=${daysAgo(29)}&amp;to=${today}"`);
  });

  it('passes the filters from the URL to the API, and serves the same figures as CSV', async () => {
    const { app, session, asked } = await pageApp({ rows: ROWS });
    const { cookie } = await session('auditor');
    const from = daysAgo(60);
    const page = await app.inject({ url: `/console/overview?from=${from}&to=${today}&flow=hotline&language=pl`, headers: { cookie } });
    expect(asked.at(-1)).toEqual({ fromDay: from, toDay: today, flowId: 'hotline', language: 'pl' });
    expect(figures(page.body)).toMatchObject({ calls: 16, continued: 13 });
    expect(page.body).toContain('value="hotline"');
    expect(page.body).toMatch(/<option value="pl" selected>/);
    const csv = await app.inject({ url: `/console/overview.csv?from=${from}&to=${today}&flow=hotline&language=pl`, headers: { cookie } });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toBe(`attachment; filename="consentline-overview-${from}-${today}-hotline-pl.csv"`);
    expect(csv.body.split('\r\n')).toEqual([
      'day,flow,language,calls,continued,objected,abandoned,failed,open,clause_listens,marketing_yes,marketing_no',
      `${daysAgo(45)},hotline,pl,9,9,0,0,0,0,0,0,0`,
      `${daysAgo(2)},hotline,pl,7,4,1,2,0,0,3,2,2`,
      '',
    ]);
  });

  it('shows the API’s refusal of a bad period as an error page, and needs a session', async () => {
    const { app, session } = await pageApp({ rows: ROWS });
    const { cookie } = await session('auditor');
    const backwards = await app.inject({ url: `/console/overview?from=${today}&to=${daysAgo(3)}`, headers: { cookie } });
    expect(backwards.statusCode).toBe(400);
    expect(backwards.body).toContain('invalid querystring.to');
    expect((await app.inject({ url: '/console/overview.csv?flow=bad%20flow', headers: { cookie } })).statusCode).toBe(400);
    const anonymous = await app.inject({ url: '/console/overview.csv' });
    expect(anonymous.statusCode).toBe(303);
    expect(anonymous.headers.location).toMatch(/^\/console\/sign-in\?next=/);
  });
});
