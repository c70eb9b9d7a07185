import Fastify, { type FastifyBaseLogger } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from '../shared/log.js';
import type { Metrics } from '../shared/metrics.js';
import { API_ERRORS } from './errors.js';
import { healthRoutes, type ReadinessCheck } from './routes/health.js';
import type { ApiInstance } from './types.js';

/**
 * The ops listener: /health, /ready and /metrics without a token, so Prometheus and probes
 * need no evidence reader's token. Nothing else is served here: none of it reads personal data.
 * It listens on loopback by default (`api.ops`).
 */
export async function buildOpsApp(deps: { log: Logger; metrics: Metrics; readiness: ReadinessCheck }): Promise<ApiInstance> {
  const app = Fastify({
    // Warnings and errors only: a scrape every few seconds is not worth a log line.
    loggerInstance: deps.log.child({ component: 'ops' }, { level: deps.log.levelVal > 40 ? deps.log.level : 'warn' }) as FastifyBaseLogger,
    trustProxy: false,
  }).withTypeProvider<ZodTypeProvider>();
  // The health routes carry zod response schemas (for the API's description): zod serialises them here too.
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setNotFoundHandler((_request, reply) => reply.status(404).send({ error: 'not_found', message: API_ERRORS.not_found.message }));
  app.setErrorHandler((error, request, reply) => {
    request.log.error({ err: error }, 'ops request failed');
    return reply.status(500).send({ error: 'internal', message: API_ERRORS.internal.message });
  });
  await app.register(healthRoutes(deps, 'open'));
  return app;
}
