import type { ApiInstance } from '../../api/types.js';
import { callApi } from '../api-client.js';
import { pageContext, sendPage } from '../context.js';
import { html } from '../html.js';
import { layout } from '../layout.js';
import { consistencyPanel, verifyTexts } from './verify-panels.js';

interface CheckpointList {
  checkpoints: Array<{ treeSize: number }>;
}

/** The ledger page: a consistency check between two signed checkpoints, in the browser. */
export function verifyPage(app: ApiInstance): void {
  app.get('/verify', { config: { role: 'auditor' }, schema: { hide: true } }, async (request, reply) => {
    const first = await callApi<CheckpointList>(request, 'GET', '/checkpoints?limit=1');
    const latest = await callApi<{ treeSize: number }>(request, 'GET', '/checkpoints/latest');
    const ctx = pageContext(request);
    const sizes = { from: first.status === 200 ? (first.body.checkpoints[0]?.treeSize ?? null) : null, to: latest.status === 200 ? latest.body.treeSize : null };
    return sendPage(
      reply,
      layout(
        ctx,
        { title: ctx.t('nav.verify'), current: '/console/verify', scripts: ['verify-ui.js'] },
        html`${sizes.to === null ? html`<p class="notice">${ctx.t('verify.noCheckpoints')}</p>` : ''}${consistencyPanel(ctx, sizes)}${verifyTexts(ctx)}`,
      ),
    );
  });
}
