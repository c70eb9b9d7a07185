import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiInstance } from '../../api/types.js';
import { apiOk, callApi } from '../api-client.js';
import { pageContext, sendPage } from '../context.js';
import { html } from '../html.js';
import { layout } from '../layout.js';
import type { HoldFullView } from '../views-dpo.js';
import { formOf, noticeKey, outcome, refusalText, unexpected } from './dpo-forms.js';
import { holdBody, holdsTable, placeHoldForm } from './holds-view.js';

const holdPath = (request: FastifyRequest) => encodeURIComponent((request.params as { holdId: string }).holdId);

/** The holds page: the list (active, or all), the place-a-hold form, and an outcome line. */
async function holdsPage(request: FastifyRequest, reply: FastifyReply, o: { status?: number; notice?: string; error?: string } = {}) {
  const all = (request.query as { show?: unknown } | undefined)?.show === 'all';
  const { holds } = await apiOk<{ holds: HoldFullView[] }>(request, 'GET', all ? '/holds' : '/holds?active=true');
  const ctx = pageContext(request);
  const { t } = ctx;
  const toggle = all ? html`<a href="/console/holds">${t('holds.show.active')}</a>` : html`<a href="/console/holds?show=all">${t('holds.show.all')}</a>`;
  return sendPage(
    reply,
    layout(
      ctx,
      { title: t('holds.page'), current: '/console/holds' },
      html`${outcome(o)}<p>${t('holds.intro')}</p>
<section class="panel" aria-labelledby="list-h"><h2 id="list-h">${all ? t('holds.show.all') : t('holds.show.active')}</h2><p>${toggle}</p>
${holdsTable(ctx, holds, request.principal!)}</section>
${placeHoldForm(ctx)}`,
    ),
    o.status ?? 200,
  );
}

/** Legal holds: list, place, and the four-eyes release (ask; another person approves in their own session). */
export function holdPages(app: ApiInstance): void {
  app.get('/holds', { config: { role: 'dpo' }, schema: { hide: true } }, async (request, reply) => {
    const key = noticeKey(request.query, 'holds', ['set', 'requested', 'released']);
    return holdsPage(request, reply, key ? { notice: pageContext(request).t(key) } : {});
  });

  app.post('/holds', { config: { role: 'dpo' }, schema: { hide: true } }, async (request, reply) => {
    const t = pageContext(request).t;
    const body = holdBody(formOf(request));
    if (!body) return holdsPage(request, reply, { status: 400, error: t('holds.e.target') });
    const r = await callApi(request, 'POST', '/holds', body);
    if (r.status === 201) return reply.redirect('/console/holds?m=set', 303);
    if (r.status === 404) return holdsPage(request, reply, { status: 404, error: t('holds.e.noCall') });
    if (r.status >= 400 && r.status < 500) return holdsPage(request, reply, { status: r.status, error: refusalText(t, r, 'holds') });
    return unexpected(r);
  });

  app.post('/holds/:holdId/release', { config: { role: 'dpo' }, schema: { hide: true } }, async (request, reply) => {
    const t = pageContext(request).t;
    const form = formOf(request);
    const step = form.step === 'approve' ? 'approve' : 'request';
    const id = holdPath(request);
    const hold = await apiOk<HoldFullView>(request, 'GET', `/holds/${id}`);
    // The API's one route both asks and approves; the page keeps the two steps apart, so a
    // second "ask" never approves someone else's request by accident, nor an "approve" asks.
    if (!hold.active) return holdsPage(request, reply, { status: 409, error: t('holds.e.notActive') });
    if (step === 'request' && hold.releaseRequested) return holdsPage(request, reply, { status: 409, error: t('holds.e.alreadyRequested', { name: hold.releaseRequested.name }) });
    if (step === 'approve' && !hold.releaseRequested) return holdsPage(request, reply, { status: 409, error: t('holds.e.notRequested') });
    const r = await callApi<{ error?: string }>(request, 'POST', `/holds/${id}/release`, step === 'request' ? { reason: form.reason ?? '' } : {});
    if (r.status === 202) return reply.redirect('/console/holds?m=requested', 303);
    if (r.status === 200) return reply.redirect('/console/holds?show=all&m=released', 303);
    if (r.body?.error === 'four_eyes_required') return holdsPage(request, reply, { status: 409, error: t('holds.e.fourEyes', { name: hold.releaseRequested?.name ?? '?' }) });
    if (r.body?.error === 'hold_not_active') return holdsPage(request, reply, { status: 409, error: t('holds.e.notActive') });
    if (r.status >= 400 && r.status < 500) return holdsPage(request, reply, { status: r.status, error: refusalText(t, r, 'holds') });
    return unexpected(r);
  });
}
