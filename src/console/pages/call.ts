import type { FastifyRequest } from 'fastify';
import { roleAllows } from '../../api/tokens.js';
import type { ApiInstance } from '../../api/types.js';
import { apiOk, callApi, ConsoleApiError } from '../api-client.js';
import { pageContext, sendPage } from '../context.js';
import { html } from '../html.js';
import { layout } from '../layout.js';
import type { HoldView, RecordingView, TimelineView } from '../views.js';
import { bundlePanel, factsPanel, holdsPanel, receiptPanel, recordingsPanel, timelinePanel } from './call-view.js';
import { callVerifyPanel, verifyTexts } from './verify-panels.js';

const REASON = 'console: call page';
const callPath = (request: FastifyRequest) => encodeURIComponent((request.params as { callId: string }).callId);

/** A JSON download of an API answer, or the API's error as a page. */
async function download(request: FastifyRequest, reply: import('fastify').FastifyReply, method: 'GET' | 'POST', url: string, name: string, body?: unknown) {
  const r = await callApi<{ error?: string; message?: string }>(request, method, url, body);
  if (r.status !== 200) throw new ConsoleApiError(r.status, r.body?.error ?? 'error', r.body?.message ?? `HTTP ${r.status}`);
  return reply.type('application/json; charset=utf-8').header('content-disposition', `attachment; filename="${name}"`).header('cache-control', 'no-store').send(r.raw);
}

/** One call: facts, timeline, receipt (dpo), bundle, recordings and holds (dpo), in-browser verification. */
export function callPage(app: ApiInstance): void {
  app.get('/calls/:callId', { config: { role: 'auditor' }, schema: { hide: true } }, async (request, reply) => {
    const id = callPath(request);
    const timeline = await apiOk<TimelineView>(request, 'GET', `/calls/${id}/timeline?reason=${encodeURIComponent(REASON)}`);
    const dpo = request.principal !== null && roleAllows(request.principal.role, 'dpo');
    const [recordings, holds] = dpo
      ? await Promise.all([
          apiOk<{ recordings: RecordingView[] }>(request, 'GET', `/calls/${id}/recordings?reason=${encodeURIComponent(REASON)}`),
          apiOk<{ holds: HoldView[] }>(request, 'GET', '/holds'),
        ])
      : [null, null];
    const ctx = pageContext(request);
    const callId = timeline.callId;
    return sendPage(
      reply,
      layout(
        ctx,
        { title: ctx.t('call.title', { id: callId }), current: '/console/calls', scripts: ['verify-ui.js', ...(dpo ? ['player.js'] : [])] },
        html`${factsPanel(ctx, timeline)}
${callVerifyPanel(ctx, callId)}
${timelinePanel(ctx, timeline)}
${bundlePanel(ctx, callId)}
${dpo ? receiptPanel(ctx, callId) : ''}
${recordings ? recordingsPanel(ctx, recordings.recordings) : ''}
${holds ? holdsPanel(ctx, holds.holds.filter((h) => h.scope === 'call' && h.callId === callId)) : ''}
${verifyTexts(ctx)}`,
      ),
    );
  });

  app.get('/calls/:callId/receipt', { config: { role: 'dpo' }, schema: { hide: true } }, async (request, reply) => {
    const format = (request.query as { format?: string }).format === 'iso27560' ? 'iso27560' : 'kantara';
    const id = callPath(request);
    return download(request, reply, 'GET', `/calls/${id}/receipt?format=${format}&reason=${encodeURIComponent('console: receipt download')}`, `receipt-${id}-${format}.json`);
  });

  app.post('/calls/:callId/bundle', { config: { role: 'auditor' }, schema: { hide: true } }, async (request, reply) => {
    const callId = (request.params as { callId: string }).callId;
    return download(request, reply, 'POST', '/bundles', `evidence-bundle-${callPath(request)}.json`, { callIds: [callId], reason: 'console: bundle download' });
  });
}
