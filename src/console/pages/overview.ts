import type { ApiInstance } from '../../api/types.js';
import { pageContext, sendPage } from '../context.js';
import { html } from '../html.js';
import { layout } from '../layout.js';

/** The overview (charts come with the overview work; until then a pointer to the calls). */
export function overviewPage(app: ApiInstance): void {
  app.get('/overview', { config: { role: 'auditor' }, schema: { hide: true } }, async (request, reply) => {
    const ctx = pageContext(request);
    return sendPage(
      reply,
      layout(ctx, { title: ctx.t('overview.title'), current: '/console/overview' }, html`<p>${ctx.t('overview.soon')}</p><p><a href="/console/calls">${ctx.t('nav.calls')}</a></p>`),
    );
  });
}
