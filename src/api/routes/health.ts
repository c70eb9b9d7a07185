import type { Metrics } from '../../shared/metrics.js';
import type { ApiInstance } from '../types.js';

export type ComponentStatus = { readonly status: 'up' | 'down' | 'disabled'; readonly detail?: string };
export type ReadinessCheck = () => Promise<Record<string, ComponentStatus>>;

/** Liveness, readiness (each dependency's status), Prometheus metrics. */
export function healthRoutes(deps: { readiness: ReadinessCheck; metrics: Metrics }) {
  return async (app: ApiInstance) => {
    app.get('/health', { config: { public: true }, schema: { hide: true } }, async () => ({ status: 'ok' }));
    app.get('/ready', { config: { role: 'auditor' } }, async (_request, reply) => {
      const components = await deps.readiness();
      const ready = Object.values(components).every((c) => c.status !== 'down');
      return reply.status(ready ? 200 : 503).send({ ready, components });
    });
    app.get('/metrics', { config: { role: 'auditor' }, schema: { hide: true } }, async (_request, reply) => {
      reply.header('content-type', deps.metrics.registry.contentType);
      return deps.metrics.registry.metrics();
    });
  };
}
