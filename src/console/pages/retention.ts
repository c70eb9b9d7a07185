import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiInstance } from '../../api/types.js';
import { apiOk, callApi } from '../api-client.js';
import { pageContext, sendPage } from '../context.js';
import { html } from '../html.js';
import { layout } from '../layout.js';
import type { PoliciesView, SweepView } from '../views-dpo.js';
import { formOf, noticeKey, outcome, unexpected } from './dpo-forms.js';
import { policiesTable, runForms, sweepsTable } from './retention-view.js';

async function retentionPage(request: FastifyRequest, reply: FastifyReply, o: { status?: number; notice?: string | undefined; error?: string } = {}) {
  const [policies, { sweeps }] = await Promise.all([
    apiOk<PoliciesView>(request, 'GET', '/retention/policies'),
    apiOk<{ sweeps: SweepView[] }>(request, 'GET', '/retention/sweeps?limit=10'),
  ]);
  const ctx = pageContext(request);
  return sendPage(
    reply,
    layout(
      ctx,
      { title: ctx.t('retention.page'), current: '/console/retention' },
      html`${outcome(o)}<p>${ctx.t('retention.intro')}</p>${policiesTable(ctx, policies)}${runForms(ctx)}${sweepsTable(ctx, sweeps)}`,
    ),
    o.status ?? 200,
  );
}

/** Retention: the policies in force, a sweep (or a dry run) on demand, the last sweeps' reports. */
export function retentionPages(app: ApiInstance): void {
  app.get('/retention', { config: { role: 'dpo' }, schema: { hide: true } }, async (request, reply) => {
    const key = noticeKey(request.query, 'retention', ['swept']);
    return retentionPage(request, reply, { notice: key ? pageContext(request).t(key) : undefined });
  });

  app.post('/retention/sweeps', { config: { role: 'dpo' }, schema: { hide: true } }, async (request, reply) => {
    const r = await callApi<{ error?: string }>(request, 'POST', '/retention/sweeps', { dryRun: formOf(request).dryRun === 'true' });
    if (r.status === 200) return reply.redirect('/console/retention?m=swept', 303);
    if (r.body?.error === 'sweep_running') return retentionPage(request, reply, { status: 409, error: pageContext(request).t('retention.e.busy') });
    return unexpected(r);
  });
}
