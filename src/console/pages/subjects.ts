import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiInstance } from '../../api/types.js';
import { apiOk, callApi, qs } from '../api-client.js';
import { pageContext, sendPage } from '../context.js';
import { html } from '../html.js';
import { layout } from '../layout.js';
import type { ErasureDetailView, ErasureSummaryView, WithdrawalView } from '../views-dpo.js';
import { formOf, outcome, refusalText, unexpected } from './dpo-forms.js';
import { accessForm, erasureDetail, erasureForm, erasureTable, withdrawalForm } from './subjects-view.js';

const requestPath = (request: FastifyRequest) => encodeURIComponent((request.params as { requestId: string }).requestId);
const count = (v: unknown) => (typeof v === 'string' && /^\d{1,9}$/.test(v) ? v : null);

/** What a withdrawal did, from the counts the redirect carried (numbers only, never data). */
function withdrawnNotice(request: FastifyRequest): string | undefined {
  const q = (request.query ?? {}) as Record<string, unknown>;
  const seq = count(q.seq);
  if (q.m !== 'withdrawn' || !seq) return undefined;
  const t = pageContext(request).t;
  const [erase, kept, held] = [count(q.erase), count(q.kept), count(q.held)];
  return `${t('withdrawals.m.done', { seq })}${erase !== null ? ` ${t('withdrawals.m.recordings', { erase, kept: kept ?? '0', held: held ?? '0' })}` : ''}`;
}

async function subjectsPage(request: FastifyRequest, reply: FastifyReply, o: { status?: number; notice?: string | undefined; error?: string } = {}) {
  const { erasures } = await apiOk<{ erasures: ErasureSummaryView[] }>(request, 'GET', '/subjects/erasures?limit=50');
  const ctx = pageContext(request);
  const { t } = ctx;
  return sendPage(
    reply,
    layout(
      ctx,
      { title: t('subjects.page'), current: '/console/subjects' },
      html`${outcome(o)}<p>${t('subjects.intro')}</p>
<section class="panel" aria-labelledby="erasures-h"><h2 id="erasures-h">${t('erasures.title')}</h2>${erasureTable(ctx, erasures)}</section>
${erasureForm(ctx)}${accessForm(ctx)}${withdrawalForm(ctx)}`,
    ),
    o.status ?? 200,
  );
}

/** Data-subject requests: erasure with its certificate, the Art. 15 export, withdrawals received on paper. */
export function subjectPages(app: ApiInstance): void {
  app.get('/subjects', { config: { role: 'dpo' }, schema: { hide: true } }, async (request, reply) => subjectsPage(request, reply, { notice: withdrawnNotice(request) }));

  app.post('/subjects/erasures', { config: { role: 'dpo' }, schema: { hide: true } }, async (request, reply) => {
    const t = pageContext(request).t;
    const form = formOf(request);
    if (form.confirm !== 'yes') return subjectsPage(request, reply, { status: 400, error: t('erasures.confirm') });
    const r = await callApi<{ certificate?: { requestId: string }; error?: string }>(request, 'POST', '/subjects/erasure', { callerNumber: form.callerNumber ?? '', reason: form.reason ?? '' });
    if (r.status === 200 && r.body.certificate) return reply.redirect(`/console/subjects/erasures/${encodeURIComponent(r.body.certificate.requestId)}?m=done`, 303);
    if (r.body?.error === 'sweep_running') return subjectsPage(request, reply, { status: 409, error: t('subjects.e.busy') });
    if (r.status >= 400 && r.status < 500) return subjectsPage(request, reply, { status: r.status, error: refusalText(t, r, 'subjects') });
    return unexpected(r);
  });

  app.get('/subjects/erasures/:requestId', { config: { role: 'dpo' }, schema: { hide: true } }, async (request, reply) => {
    const d = await apiOk<ErasureDetailView>(request, 'GET', `/subjects/erasures/${requestPath(request)}`);
    const ctx = pageContext(request);
    const done = (request.query as { m?: unknown }).m === 'done' && d.erasure.status === 'done';
    return sendPage(
      reply,
      layout(ctx, { title: ctx.t('erasure.title', { id: d.erasure.requestId }), current: '/console/subjects' }, html`${outcome({ notice: done ? ctx.t('erasure.m.done') : undefined })}${erasureDetail(ctx, d)}`),
    );
  });

  app.get('/subjects/erasures/:requestId/certificate', { config: { role: 'dpo' }, schema: { hide: true } }, async (request, reply) => {
    const id = requestPath(request);
    const d = await apiOk<ErasureDetailView>(request, 'GET', `/subjects/erasures/${id}`);
    if (!d.certificate) return reply.redirect(`/console/subjects/erasures/${id}`, 303);
    return reply
      .type('application/json; charset=utf-8')
      .header('content-disposition', `attachment; filename="erasure-certificate-${id}.json"`)
      .header('cache-control', 'no-store')
      .send(`${JSON.stringify(d.certificate, null, 2)}\n`);
  });

  // The export is the answer to the POST: a download, the number only ever in the form's body.
  app.post('/subjects/access', { config: { role: 'dpo' }, schema: { hide: true } }, async (request, reply) => {
    const t = pageContext(request).t;
    const form = formOf(request);
    const format = form.format === 'markdown' ? 'markdown' : 'json';
    const lang = form.lang === 'en' ? 'en' : 'pl';
    const r = await callApi(request, 'POST', '/subjects/access', { callerNumber: form.callerNumber ?? '', lang, format, reason: form.reason ?? '' });
    if (r.status >= 400 && r.status < 500) return subjectsPage(request, reply, { status: r.status, error: refusalText(t, r, 'subjects') });
    if (r.status !== 200) return unexpected(r);
    const day = new Date().toISOString().slice(0, 10);
    return reply
      .type(format === 'json' ? 'application/json; charset=utf-8' : 'text/markdown; charset=utf-8')
      .header('content-disposition', `attachment; filename="access-export-${day}.${format === 'json' ? 'json' : 'md'}"`)
      .header('cache-control', 'no-store')
      .send(r.raw);
  });

  app.post('/subjects/withdrawals', { config: { role: 'dpo' }, schema: { hide: true } }, async (request, reply) => {
    const t = pageContext(request).t;
    const form = formOf(request);
    const r = await callApi<WithdrawalView>(request, 'POST', '/consents/withdrawals', {
      callerNumber: form.callerNumber ?? '',
      consent: form.consent === 'recording' ? 'recording' : 'marketing',
      channel: form.channel === 'email' ? 'email' : 'letter',
      reference: form.reference ?? '',
    });
    if (r.status >= 400 && r.status < 500) return subjectsPage(request, reply, { status: r.status, error: refusalText(t, r, 'subjects') });
    if (r.status !== 201) return unexpected(r);
    const rec = r.body.recordings;
    const counts = rec ? { erase: rec.toErase.length, kept: rec.objection.length, held: rec.heldCalls.length } : {};
    return reply.redirect(`/console/subjects${qs({ m: 'withdrawn', seq: r.body.seq, ...counts })}`, 303);
  });
}
