import type { FastifyRequest } from 'fastify';
import type { ApiInstance } from '../../api/types.js';
import { apiOk, qs } from '../api-client.js';
import { horizontalBars, stackedColumns, type BarRow } from '../chart.js';
import { sharesOf } from '../chart-scale.js';
import { pageContext, sendPage, type PageContext } from '../context.js';
import { html, type Html } from '../html.js';
import { layout } from '../layout.js';
import { OUTCOME_KEYS, overviewCsv, overviewFigures, type Counts, type OverviewApiRow, type OverviewFigures } from '../overview-data.js';

interface Filters {
  readonly from: string;
  readonly to: string;
  readonly flow?: string;
  readonly language?: string;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const PERIODS = [7, 30, 90] as const;
const dayOffset = (day: string, days: number) => new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

/** The filters from the URL; the period defaults to the last 30 days (UTC). The API validates the rest. */
export function overviewFilters(query: Record<string, unknown>, today: string): Filters {
  const get = (k: string) => (typeof query[k] === 'string' && (query[k] as string).trim() !== '' ? (query[k] as string).trim() : undefined);
  const to = get('to') ?? today;
  const from = get('from') ?? (DAY.test(to) ? dayOffset(to, -29) : dayOffset(today, -29));
  const flow = get('flow');
  const language = get('language');
  return { from, to, ...(flow ? { flow } : {}), ...(language ? { language } : {}) };
}

async function rowsFor(request: FastifyRequest): Promise<{ f: Filters; rows: OverviewApiRow[] }> {
  const f = overviewFilters(request.query as Record<string, unknown>, new Date().toISOString().slice(0, 10));
  const answer = await apiOk<{ from: string; to: string; rows: OverviewApiRow[] }>(request, 'GET', `/stats/overview${qs({ ...f })}`);
  return { f: { ...f, from: answer.from, to: answer.to }, rows: answer.rows };
}

function filterForm(ctx: PageContext, f: Filters): Html {
  const { t } = ctx;
  const quick = PERIODS.map((n) => {
    const to = new Date().toISOString().slice(0, 10);
    return html`<a href="/console/overview${qs({ from: dayOffset(to, 1 - n), to, flow: f.flow, language: f.language })}">${t('overview.last', { n })}</a>`;
  });
  return html`<form method="get" action="/console/overview" class="filters" role="search" aria-label="${t('overview.filters')}">
<div class="field"><label for="o-from">${t('overview.from')}</label><input id="o-from" name="from" type="date" required value="${f.from}"></div>
<div class="field"><label for="o-to">${t('overview.to')}</label><input id="o-to" name="to" type="date" required value="${f.to}"></div>
<div class="field"><label for="o-flow">${t('overview.flow')}</label><input id="o-flow" name="flow" type="text" pattern="[A-Za-z0-9_.\\-]{1,64}" value="${f.flow ?? ''}"></div>
<div class="field"><label for="o-language">${t('overview.language')}</label><select id="o-language" name="language"><option value="">${t('overview.any')}</option>${['pl', 'en'].map(
    (l) => html`<option value="${l}"${f.language === l ? html` selected` : ''}>${t(`language.${l}`)}</option>`,
  )}</select></div>
<div class="actions"><button type="submit">${t('overview.apply')}</button></div>
<p class="hint">${t('overview.period')}: ${quick.map((a, i) => html`${i ? ' · ' : ''}${a}`)}</p>
</form>`;
}

const pct = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 1000) / 10 : 0);

function summary(ctx: PageContext, c: Counts): Html {
  const { t } = ctx;
  const shares = sharesOf(OUTCOME_KEYS.map((k) => c[k]));
  return html`<h2>${t('overview.summary')}</h2><dl class="facts summary">
<dt>${t('overview.calls')}</dt><dd data-figure="calls">${c.calls}</dd>
${OUTCOME_KEYS.map((k, i) => html`<dt>${t(`outcome.${k}`)}</dt><dd data-figure="${k}">${c[k]} (${shares[i]}%)</dd>`)}
<dt>${t('overview.clauseListens')}</dt><dd data-figure="clauseListens">${c.clauseListens}</dd>
<dt>${t('overview.marketingYes')}</dt><dd data-figure="marketingYes">${c.marketingYes}</dd>
<dt>${t('overview.marketingNo')}</dt><dd data-figure="marketingNo">${c.marketingNo}</dd></dl>`;
}

function segmentLabel(ctx: PageContext, s: { flowId: string; language: string | null }): string {
  return `${s.flowId} · ${s.language ? ctx.t(`language.${s.language}`) : ctx.t('overview.noLanguage')}`;
}

function charts(ctx: PageContext, f: Filters, fig: OverviewFigures): Html {
  const { t } = ctx;
  const outcomeParts = (c: Counts) => OUTCOME_KEYS.map((k) => ({ key: k, label: t(`outcome.${k}`), value: c[k] }));
  const segRows: BarRow[] = fig.segments.map((s) => ({ label: segmentLabel(ctx, s), parts: outcomeParts(s) }));
  return html`${stackedColumns({
    id: 'chart-days',
    caption: t('overview.perDay', { from: f.from, to: f.to }),
    labels: fig.days.map((d) => d.day),
    tickLabel: (d) => d.slice(5),
    series: OUTCOME_KEYS.map((k) => ({ key: k, label: t(`outcome.${k}`), values: fig.days.map((d) => d[k]) })),
  })}
${horizontalBars({ id: 'chart-shares', caption: t('overview.segments'), mode: 'share', rows: [{ label: t('overview.all'), parts: outcomeParts(fig.totals) }, ...segRows] })}
${horizontalBars({
    id: 'chart-consents',
    caption: t('overview.consents'),
    mode: 'count',
    rows: fig.segments.flatMap((s) => [
      { label: `${segmentLabel(ctx, s)} · ${t('overview.marketing')}`, parts: [{ key: 'marketingYes', label: t('overview.marketingYes'), value: s.marketingYes }, { key: 'marketingNo', label: t('overview.marketingNo'), value: s.marketingNo }] },
      { label: `${segmentLabel(ctx, s)} · ${t('overview.clauseListens')}`, parts: [{ key: 'clauseListens', label: t('overview.clauseListens'), value: s.clauseListens }] },
    ]),
  })}`;
}

function tables(ctx: PageContext, fig: OverviewFigures): Html {
  const { t } = ctx;
  const head = html`<th scope="col">${t('overview.calls')}</th>${OUTCOME_KEYS.map((k) => html`<th scope="col">${t(`outcome.${k}`)}</th>`)}<th scope="col">${t('overview.clauseListens')}</th><th scope="col">${t('overview.marketingYes')}</th><th scope="col">${t('overview.marketingNo')}</th>`;
  const cells = (c: Counts) => html`<td>${c.calls}</td>${OUTCOME_KEYS.map((k) => html`<td>${c[k]} <span class="muted">(${pct(c[k], c.calls)}%)</span></td>`)}<td>${c.clauseListens}</td><td>${c.marketingYes}</td><td>${c.marketingNo}</td>`;
  return html`<table class="figures" id="table-segments"><caption>${t('overview.table.segments')}</caption><thead><tr><th scope="col">${t('overview.col.segment')}</th>${head}</tr></thead>
<tbody>${fig.segments.map((s) => html`<tr><th scope="row">${segmentLabel(ctx, s)}</th>${cells(s)}</tr>`)}</tbody></table>
<details><summary>${t('overview.table.perDay')}</summary><table class="figures" id="table-days"><thead><tr><th scope="col">${t('overview.col.day')}</th>${head}</tr></thead>
<tbody>${fig.days.filter((d) => d.calls > 0).map((d) => html`<tr><th scope="row">${d.day}</th>${cells(d)}</tr>`)}</tbody></table></details>`;
}

/** The overview: charts of the period's calls, outcomes and consents, and the same figures as CSV. */
export function overviewPage(app: ApiInstance): void {
  app.get('/overview', { config: { role: 'auditor' }, schema: { hide: true } }, async (request, reply) => {
    const { f, rows } = await rowsFor(request);
    const ctx = pageContext(request);
    const fig = overviewFigures(rows, f);
    return sendPage(
      reply,
      layout(
        ctx,
        { title: ctx.t('overview.title'), current: '/console/overview' },
        html`${filterForm(ctx, f)}
<p><a href="/console/overview.csv${qs({ ...f })}" download>${ctx.t('overview.csv')}</a></p>
${summary(ctx, fig.totals)}
${fig.totals.calls === 0 ? html`<p role="status">${ctx.t('overview.none')}</p>` : ''}
${charts(ctx, f, fig)}
${tables(ctx, fig)}`,
      ),
    );
  });

  app.get('/overview.csv', { config: { role: 'auditor' }, schema: { hide: true } }, async (request, reply) => {
    const { f, rows } = await rowsFor(request);
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="consentline-overview-${f.from}-${f.to}${f.flow ? `-${f.flow}` : ''}${f.language ? `-${f.language}` : ''}.csv"`)
      .header('cache-control', 'no-store')
      .send(overviewCsv(rows));
  });
}
