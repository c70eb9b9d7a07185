import type { FastifyRequest } from 'fastify';
import type { CallPageView, CallRow } from '../views.js';
import type { ApiInstance } from '../../api/types.js';
import { roleAllows } from '../../api/tokens.js';
import { apiOk, qs } from '../api-client.js';
import { pageContext, sendPage, type PageContext } from '../context.js';
import { html, type Html } from '../html.js';
import { formatTime } from '../i18n.js';
import { csrfField, layout } from '../layout.js';

const FILTERS = ['from', 'to', 'flow', 'did', 'outcome', 'language'] as const;
type Filter = (typeof FILTERS)[number];
type FilterValues = Partial<Record<Filter, string>>;
const OUTCOMES = ['continued', 'objected', 'abandoned', 'failed'] as const;

function pickFilters(source: Record<string, unknown>): FilterValues {
  const out: FilterValues = {};
  for (const k of FILTERS) {
    const v = source[k];
    if (typeof v === 'string' && v.trim() !== '') out[k] = v.trim();
  }
  return out;
}

function filterForm(ctx: PageContext, f: FilterValues): Html {
  const { t } = ctx;
  const field = (name: Filter, type: string, extra: Html | string = '') =>
    html`<div class="field"><label for="f-${name}">${t(`calls.filter.${name}`)}</label><input id="f-${name}" name="${name}" type="${type}" value="${f[name] ?? ''}"${extra}></div>`;
  return html`<form method="get" action="/console/calls" class="filters" role="search" aria-label="${t('calls.filters')}">
${field('from', 'date')}${field('to', 'date')}${field('flow', 'text', html` pattern="[A-Za-z0-9_.\\-]{1,64}"`)}${field('did', 'text', html` inputmode="tel" pattern="\\+?[0-9]{2,20}"`)}
<div class="field"><label for="f-outcome">${t('calls.filter.outcome')}</label><select id="f-outcome" name="outcome"><option value="">${t('calls.any')}</option>${OUTCOMES.map(
    (o) => html`<option value="${o}"${f.outcome === o ? html` selected` : ''}>${t(`outcome.${o}`)}</option>`,
  )}</select></div>
<div class="field"><label for="f-language">${t('calls.filter.language')}</label><select id="f-language" name="language"><option value="">${t('calls.any')}</option>${['pl', 'en'].map(
    (l) => html`<option value="${l}"${f.language === l ? html` selected` : ''}>${t(`language.${l}`)}</option>`,
  )}</select></div>
<div class="actions"><button type="submit">${t('calls.apply')}</button> <a href="/console/calls">${t('calls.clear')}</a></div>
</form>`;
}

/** The DPO's search by caller number: a POST form, so the number is in no URL, history or log. */
function callerForm(ctx: PageContext, f: FilterValues): Html {
  const { t } = ctx;
  return html`<form method="post" action="/console/calls/by-caller" class="filters" aria-label="${t('calls.byCaller')}" autocomplete="off">
${csrfField(ctx)}<input type="hidden" name="from" value="${f.from ?? ''}"><input type="hidden" name="to" value="${f.to ?? ''}">
<div class="field"><label for="caller-number">${t('calls.byCaller.number')}</label><input id="caller-number" name="callerNumber" type="tel" inputmode="tel" autocomplete="off" required maxlength="64"></div>
<div class="actions"><button type="submit">${t('calls.byCaller.submit')}</button></div>
<p class="hint">${t('calls.byCaller.hint')}</p>
</form>`;
}

export function callTable(ctx: PageContext, calls: readonly CallRow[]): Html {
  const { t, lang } = ctx;
  if (calls.length === 0) return html`<p role="status">${t('calls.none')}</p>`;
  return html`<table class="calls"><caption class="sr-only">${t('calls.title')}</caption>
<thead><tr><th scope="col">${t('calls.col.started')}</th><th scope="col">${t('calls.col.flow')}</th><th scope="col">${t('calls.col.did')}</th><th scope="col">${t('calls.col.caller')}</th><th scope="col">${t('calls.col.language')}</th><th scope="col">${t('calls.col.outcome')}</th><th scope="col">${t('calls.col.recording')}</th><th scope="col">${t('calls.col.marketing')}</th></tr></thead>
<tbody>${calls.map(
    (c) => html`<tr><td><a href="/console/calls/${encodeURIComponent(c.callId)}">${formatTime(c.startedAt, lang)}</a></td><td>${c.flowId}</td><td>${c.did}</td><td>${c.callerMasked ?? '—'}</td><td>${c.language ?? '—'}</td><td>${c.outcome ? html`<span class="badge ${c.outcome}">${t(`outcome.${c.outcome}`)}</span>` : t('outcome.open')}</td><td>${c.recording ? t(`yesno.${c.recording}`) : '—'}</td><td>${c.marketing ? t(`marketing.${c.marketing}`) : '—'}</td></tr>`,
  )}</tbody></table>`;
}

/** Calls: the list with its filters in the URL (keyset pages), and the DPO's caller search. */
export function callPages(app: ApiInstance): void {
  app.get('/calls', { config: { role: 'auditor' }, schema: { hide: true } }, async (request, reply) => {
    const q = request.query as Record<string, unknown>;
    const f = pickFilters(q);
    const cursor = typeof q.cursor === 'string' ? q.cursor : undefined;
    const page = await apiOk<CallPageView>(request, 'GET', `/calls${qs({ ...f, cursor, limit: 50 })}`);
    const ctx = pageContext(request);
    const next = page.nextCursor ? `/console/calls${qs({ ...f, cursor: page.nextCursor })}` : null;
    return sendPage(reply, listPage(ctx, request, f, page.calls, html`${cursor ? html`<a href="/console/calls${qs(f)}">${ctx.t('calls.first')}</a>` : ''}
${next ? html`<a href="${next}" rel="next">${ctx.t('calls.next')}</a>` : ''}`));
  });

  // A reload or a bookmark of the search result: the number is gone by design, back to the list.
  app.get('/calls/by-caller', { config: { role: 'dpo' }, schema: { hide: true } }, async (_request, reply) => reply.redirect('/console/calls', 303));

  app.post('/calls/by-caller', { config: { role: 'dpo' }, schema: { hide: true } }, async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const f = pickFilters(body);
    const callerNumber = typeof body.callerNumber === 'string' ? body.callerNumber : '';
    const cursor = typeof body.cursor === 'string' && body.cursor ? body.cursor : undefined;
    const page = await apiOk<CallPageView>(request, 'POST', '/calls/search-by-caller', {
      callerNumber,
      ...(f.from ? { from: f.from } : {}),
      ...(f.to ? { to: f.to } : {}),
      ...(cursor ? { cursor } : {}),
      limit: 50,
    });
    const ctx = pageContext(request);
    const more = page.nextCursor
      ? html`<form method="post" action="/console/calls/by-caller" class="inline">${csrfField(ctx)}<input type="hidden" name="callerNumber" value="${callerNumber}"><input type="hidden" name="from" value="${f.from ?? ''}"><input type="hidden" name="to" value="${f.to ?? ''}"><input type="hidden" name="cursor" value="${page.nextCursor}"><button type="submit" rel="next">${ctx.t('calls.next')}</button></form>`
      : '';
    return sendPage(reply, listPage(ctx, request, f, page.calls, more, ctx.t('calls.byCaller.results')));
  });
}

function listPage(ctx: PageContext, request: FastifyRequest, f: FilterValues, calls: readonly CallRow[], pager: Html | string, heading?: string): Html {
  const dpo = request.principal !== null && roleAllows(request.principal.role, 'dpo');
  return layout(
    ctx,
    { title: ctx.t('calls.title'), current: '/console/calls' },
    html`${filterForm(ctx, f)}${dpo ? callerForm(ctx, f) : ''}
${heading ? html`<h2>${heading}</h2>` : ''}
${callTable(ctx, calls)}
<nav class="pager" aria-label="${ctx.t('calls.pages')}">${pager}</nav>`,
  );
}
