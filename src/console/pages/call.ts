import type { ApiInstance } from '../../api/types.js';
import { apiOk } from '../api-client.js';
import { pageContext, sendPage } from '../context.js';
import { html } from '../html.js';
import { layout } from '../layout.js';
import type { TimelineView } from '../views.js';

/** One call: timeline, receipt, bundle, recordings, holds and the in-browser verification. */
export function callPage(app: ApiInstance): void {
  app.get('/calls/:callId', { config: { role: 'auditor' }, schema: { hide: true } }, async (request, reply) => {
    const { callId } = request.params as { callId: string };
    const timeline = await apiOk<TimelineView>(request, 'GET', `/calls/${encodeURIComponent(callId)}/timeline`);
    const ctx = pageContext(request);
    return sendPage(
      reply,
      layout(ctx, { title: callId, current: '/console/calls' }, html`<ol>${timeline.events.map((e) => html`<li>${e.seq} ${e.kind}</li>`)}</ol>`),
    );
  });
}
