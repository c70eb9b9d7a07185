import type { FastifyContextConfig } from 'fastify';
import type { Metrics } from '../../shared/metrics.js';
import type { ApiInstance } from '../types.js';

export type ComponentStatus = { readonly status: 'up' | 'down' | 'disabled'; readonly detail?: string };
export type ReadinessCheck = () => Promise<Record<string, ComponentStatus>>;

/**
 * Liveness, readiness (each dependency's status), Prometheus metrics. On the API listener
 * readiness and metrics need an auditor token; the ops listener serves them without one.
 */
export function healthRoutes(deps: { readiness: ReadinessCheck; metrics: Metrics }, access: 'token' | 'open' = 'token') {
  const guarded: FastifyContextConfig = access === 'open' ? { public: true } : { role: 'auditor' };
  return async (app: ApiInstance) => {
    app.get('/health', { config: { public: true }, schema: { hide: true } }, async () => ({ status: 'ok' }));
    app.get('/ready', { config: guarded }, async (_request, reply) => {
      const components = await deps.readiness();
      const ready = Object.values(components).every((c) => c.status !== 'down');
      return reply.status(ready ? 200 : 503).send({ ready, components });
    });
    app.get('/metrics', { config: guarded, schema: { hide: true } }, async (_request, reply) => {
      reply.header('content-type', deps.metrics.registry.contentType);
      return deps.metrics.registry.metrics();
    });
  };
}
