/**
 * The overview in a real browser, with the demo's service on PostgreSQL (a database of its own,
 * test/contract/pg-helpers): the charts show the ledger's figures (counted here in SQL), the CSV
 * holds the same figures, the filters live in the URL and change the figures; axe, CSP, console
 * errors and foreign requests watched. With CONSOLE_SCREENSHOTS=write it writes the README's
 * overview screenshot.
 */
import pg from 'pg';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { testDatabase } from '../../contract/pg-helpers.js';
import { demoAndBrowser, screenshotFor, signedInPage, signIn, visit, type PageProblems } from '../harness.js';

const dbUrl = testDatabase('cl_console_overview');
const rig = demoAndBrowser(() => ({ DEMO_DATABASE_URL: dbUrl() }));

const clean: PageProblems = { csp: [], console: [], errors: [], foreign: [] };
const KEYS = ['calls', 'continued', 'objected', 'abandoned', 'failed', 'open', 'clauseListens', 'marketingYes', 'marketingNo'] as const;
type Figures = Record<(typeof KEYS)[number], number>;

/** The figures straight from the PostgreSQL ledger's projections, optionally for one language. */
async function ledgerFigures(language?: string): Promise<Figures> {
  const c = new pg.Client({ connectionString: dbUrl() });
  await c.connect();
  try {
    const { rows } = await c.query(
      `SELECT count(*)::int AS calls,
         count(*) FILTER (WHERE outcome = 'continued')::int AS continued, count(*) FILTER (WHERE outcome = 'objected')::int AS objected,
         count(*) FILTER (WHERE outcome = 'abandoned')::int AS abandoned, count(*) FILTER (WHERE outcome = 'failed')::int AS failed,
         count(*) FILTER (WHERE outcome IS NULL)::int AS open, coalesce(sum(f.clause_listens), 0)::int AS "clauseListens",
         count(*) FILTER (WHERE marketing = 'yes')::int AS "marketingYes", count(*) FILTER (WHERE marketing = 'no')::int AS "marketingNo"
       FROM calls c LEFT JOIN call_facts f ON f.call_id = c.call_id WHERE $1::text IS NULL OR c.language = $1`,
      [language ?? null],
    );
    return rows[0] as Figures;
  } finally {
    await c.end();
  }
}

/** What the page shows: the summary's figures and the sums of the per-day chart's bars. */
async function shown(page: Page): Promise<{ summary: Figures; chartByOutcome: Record<string, number> }> {
  const summary = Object.fromEntries(
    await Promise.all(KEYS.map(async (k) => [k, Number(/^\d+/.exec((await page.locator(`dd[data-figure="${k}"]`).textContent()) ?? '')![0])])),
  ) as Figures;
  const bars = await page.locator('#chart-days rect').evaluateAll((rs) =>
    rs.map((r) => {
      const el = r as unknown as { getAttribute(name: string): string | null };
      return [el.getAttribute('data-series'), Number(el.getAttribute('data-value'))] as const;
    }),
  );
  const chartByOutcome: Record<string, number> = {};
  for (const [k, v] of bars) chartByOutcome[k!] = (chartByOutcome[k!] ?? 0) + v;
  return { summary, chartByOutcome };
}

async function csvOf(page: Page): Promise<string[][]> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download these figures (CSV)' }).click()]);
  let text = '';
  for await (const chunk of await download.createReadStream()) text += String(chunk);
  return text.trim().split('\r\n').map((l) => l.split(','));
}

describe('console: overview on PostgreSQL', () => {
  it("charts the demo's calls with the ledger's figures, offers the same figures as CSV, and filters by URL", async () => {
    const { demo, browser } = rig;
    const { context, problems, page } = await signedInPage(browser, demo.api, demo.tokens.auditor);
    expect((await visit(page, `${demo.api}/console/overview`)).violations).toEqual([]);
    const today = new Date().toISOString().slice(0, 10);
    expect(new URL(page.url()).search).toBe('');

    const want = await ledgerFigures();
    expect(want.calls).toBe(12);
    expect(want.objected).toBeGreaterThan(0);
    expect(want.marketingYes).toBeGreaterThan(0);
    expect(want.clauseListens).toBeGreaterThan(0);
    const all = await shown(page);
    expect(all.summary).toEqual(want);
    for (const k of ['continued', 'objected', 'abandoned', 'failed', 'open'] as const) expect(all.chartByOutcome[k] ?? 0, k).toBe(want[k]);
    // Today's column carries every call; the other 29 days are empty.
    expect(await page.locator(`#chart-days g.column[data-label="${today}"]`).getAttribute('data-total')).toBe('12');
    expect(await page.locator('#chart-days g.column').count()).toBe(30);
    expect(await page.locator('#chart-shares g.bar').first().getAttribute('data-total')).toBe('12');

    // The CSV: one line per day, flow and language, summing to the same figures.
    const csv = await csvOf(page);
    expect(csv[0]).toEqual(['day', 'flow', 'language', 'calls', 'continued', 'objected', 'abandoned', 'failed', 'open', 'clause_listens', 'marketing_yes', 'marketing_no']);
    const sum = (col: string) => csv.slice(1).reduce((s, l) => s + Number(l[csv[0]!.indexOf(col)]), 0);
    expect(KEYS.map((k) => sum(k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)))).toEqual(KEYS.map((k) => want[k]));
    expect(new Set(csv.slice(1).map((l) => l[0]))).toEqual(new Set([today]));
    expect(csv.slice(1).every((l) => l[1] === 'hotline' && ['pl', 'en', ''].includes(l[2]!))).toBe(true);
    expect(csv.slice(1).map((l) => l[2])).toEqual(expect.arrayContaining(['pl', 'en']));

    // Filters land in the URL and change the figures.
    await page.getByLabel('Language', { exact: true }).selectOption('en');
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    await page.waitForURL(/language=en/);
    expect(new URL(page.url()).searchParams.get('language')).toBe('en');
    const english = await shown(page);
    expect(english.summary).toEqual(await ledgerFigures('en'));
    expect(english.summary.calls).toBe(1);
    const englishCsv = await csvOf(page);
    expect(englishCsv.slice(1).map((l) => l[2])).toEqual(['en']);

    await page.goto(`${demo.api}/console/overview?flow=no-such-flow`);
    expect((await shown(page)).summary.calls).toBe(0);
    await expect.poll(() => page.getByRole('status').first().textContent()).toBe('No calls in this period.');
    expect(await page.getByLabel('Flow', { exact: true }).inputValue()).toBe('no-such-flow');

    await page.getByRole('link', { name: 'last 7 days' }).click();
    await page.waitForURL(/from=/);
    const url = new URL(page.url());
    expect(url.searchParams.get('to')).toBe(today);
    expect(url.searchParams.get('flow')).toBe('no-such-flow');
    expect(await page.locator('#chart-days g.column').count()).toBe(7);
    expect((await visit(page, `${demo.api}/console/overview?language=pl`)).violations).toEqual([]);
    expect(problems).toEqual(clean);

    await screenshotFor(page, 'console-overview', `${demo.api}/console/overview`, 1500);
    await context.close();
  });

  it('serves the console on PostgreSQL to each role: the DPO and admin see the overview, the calls and a call', async () => {
    const { demo, browser } = rig;
    const { context, problems, page } = await signedInPage(browser, demo.api, demo.tokens.dpo);
    for (const role of ['dpo', 'admin'] as const) {
      if (role !== 'dpo') await signIn(page, demo.api, demo.tokens[role]);
      expect((await visit(page, `${demo.api}/console/overview`)).violations).toEqual([]);
      expect((await visit(page, `${demo.api}/console/calls`)).violations).toEqual([]);
      expect(await page.locator('table.calls tbody tr').count()).toBe(12);
      await page.locator('table.calls tbody tr a').first().click();
      await page.waitForURL(/\/console\/calls\/[^/?]+$/);
      expect(await page.locator('table.timeline tbody tr').count()).toBeGreaterThan(2);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(/\/console\/sign-in\?m=out/);
    }
    expect(problems).toEqual(clean);
    await context.close();
  });
});
