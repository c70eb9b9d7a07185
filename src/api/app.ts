import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Logger } from '../shared/log.js';
import type { Metrics } from '../shared/metrics.js';
import { bearer, registerAuth, type CookieAuthenticator } from './auth.js';
import { API_ERRORS, ApiError } from './errors.js';
import { documentRoute, transformDocument } from './openapi.js';
import { healthRoutes, type ReadinessCheck } from './routes/health.js';
import { hashToken, type TokenStore } from './tokens.js';
import type { ApiInstance } from './types.js';

export interface ApiDeps {
  readonly log: Logger;
  readonly tokens: TokenStore;
  readonly metrics: Metrics;
  readonly readiness: ReadinessCheck;
  /** Requests per minute per token (or per address without one). */
  readonly rateLimitPerMinute?: number;
  /** Browser sessions (the console), a second way to a token's principal. */
  readonly cookies?: CookieAuthenticator;
  /** Feature routes, registered after auth so every one of them is protected. */
  readonly routes?: ReadonlyArray<(app: ApiInstance) => Promise<void> | void>;
}

/** Builds the HTTP API from its dependencies; listening is the caller's business. */
export async function buildApp(deps: ApiDeps): Promise<ApiInstance> {
  const app = Fastify({
    loggerInstance: deps.log.child({ component: 'api' }) as FastifyBaseLogger,
    bodyLimit: 1024 * 1024,
    trustProxy: false,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler((error, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      const issues = error.validation.map((v) => ({
        field: `${error.validationContext ?? 'request'}${v.instancePath ? v.instancePath.replace(/\//g, '.') : ''}`,
        message: v.message ?? 'invalid',
      }));
      return reply.status(400).send({ error: 'bad_request', message: `invalid ${issues.map((i) => i.field).join(', ')}`, issues });
    }
    if (error instanceof ApiError) {
      return reply.status(error.status).send({ error: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) });
    }
    const status = typeof (error as { statusCode?: unknown }).statusCode === 'number' ? (error as { statusCode: number }).statusCode : 500;
    if (status === 429) return reply.status(429).send({ error: 'rate_limited', message: API_ERRORS.rate_limited.message });
    if (status >= 400 && status < 500) {
      // Fastify's own 4xx (bad JSON, body too large, bad content type): the message is safe.
      return reply.status(status).send({ error: 'bad_request', message: (error as Error).message });
    }
    request.log.error({ err: error }, 'request failed');
    deps.metrics.failures.inc({ kind: 'api' });
    return reply.status(500).send({ error: 'internal', message: API_ERRORS.internal.message });
  });
  app.setNotFoundHandler((_request, reply) => reply.status(404).send({ error: 'not_found', message: API_ERRORS.not_found.message }));

  await app.register(helmet, { contentSecurityPolicy: false, global: true });
  await app.register(rateLimit, {
    max: deps.rateLimitPerMinute ?? 600,
    timeWindow: '1 minute',
    keyGenerator: (request) => {
      const token = bearer(request);
      if (token) return `t:${hashToken(token).slice(0, 32)}`;
      return deps.cookies?.rateKey(request) ?? `ip:${request.ip}`;
    },
  });
  app.addHook('onRoute', documentRoute);
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'ConsentLine API',
        version: '1',
        description: 'Evidence of call-recording notices and consents. Each operation names the role its bearer token needs (auditor ⊂ dpo ⊂ admin).',
        license: { name: 'AGPL-3.0-or-later', url: 'https://www.gnu.org/licenses/agpl-3.0.html' },
      },
      servers: [{ url: '/', description: 'the ConsentLine API listener serving this document' }],
      tags: [
        { name: 'health', description: 'Liveness, readiness and Prometheus metrics' },
        { name: 'calls', description: 'Call search, timelines, receipts and proofs' },
        { name: 'ledger', description: 'Hash-chain verification' },
        { name: 'checkpoints', description: 'Signed checkpoints and Merkle proofs' },
        { name: 'stats', description: 'Counters per flow and day' },
        { name: 'bundles', description: 'Signed evidence bundles' },
        { name: 'admin', description: 'Administration' },
        { name: 'retention', description: 'Retention policies and sweeps' },
        { name: 'holds', description: 'Legal holds' },
        { name: 'subjects', description: 'Data-subject requests' },
        { name: 'recordings', description: 'Encrypted recordings and playback' },
      ],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: transformDocument,
  });
  // The API description is public, like the API's existence; every route it describes is not.
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/docs')) route.config = { ...(route.config ?? {}), public: true };
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list' } });

  registerAuth(app, deps.tokens, deps.cookies);
  await app.register(healthRoutes(deps));
  for (const routes of deps.routes ?? []) await app.register(async (scope) => routes(scope));
  return app;
}
