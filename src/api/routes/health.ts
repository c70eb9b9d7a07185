import type { FastifyContextConfig } from 'fastify';
import { z } from 'zod';
import type { Metrics } from '../../shared/metrics.js';
import type { ApiInstance } from '../types.js';

export type ComponentStatus = { readonly status: 'up' | 'down' | 'disabled'; readonly detail?: string };
export type ReadinessCheck = () => Promise<Record<string, ComponentStatus>>;

const readiness = z.object({
  ready: z.boolean(),
  components: z.record(z.string(), z.object({ status: z.enum(['up', 'down', 'disabled']), detail: z.string().optional() })),
});

/**
 * Liveness, readiness (each dependency's status), Prometheus metrics. On the API listener
 * readiness and metrics need an auditor token; the ops listener serves them without one.
 */
export function healthRoutes(deps: { readiness: ReadinessCheck; metrics: Metrics }, access: 'token' | 'open' = 'token') {
  const guarded: FastifyContextConfig = access === 'open' ? { public: true } : { role: 'auditor' };
  return async (app: ApiInstance) => {
    app.get(
      '/health',
      {
        config: { public: true },
        schema: { summary: 'Liveness: the process answers', tags: ['health'], response: { 200: z.object({ status: z.literal('ok') }).describe('alive') } },
      },
      async () => ({ status: 'ok' as const }),
    );
    app.get(
      '/ready',
      {
        config: guarded,
        schema: {
          summary: "Readiness: each dependency's status",
          tags: ['health'],
          response: { 200: readiness.describe('ready: no component is down'), 503: readiness.describe('not ready: a component is down') },
        },
      },
      async (_request, reply) => {
        const components = await deps.readiness();
        const ready = Object.values(components).every((c) => c.status !== 'down');
        return reply.status(ready ? 200 : 503).send({ ready, components });
      },
    );
    app.get(
      '/metrics',
      {
        config: guarded,
        schema: {
          summary: 'Prometheus metrics (text exposition format)',
          tags: ['health'],
          response: { 200: { description: 'Prometheus text exposition format 0.0.4', content: { 'text/plain': { schema: z.string() } } } },
        },
      },
      async (_request, reply) => {
        reply.header('content-type', deps.metrics.registry.contentType);
        return deps.metrics.registry.metrics();
      },
    );
  };
}
