import { z } from 'zod';
import { errorResponses } from '../openapi.js';
import type { ApiInstance } from '../types.js';
import { holdRoutes } from './holds.js';
import type { RetentionApiDeps } from './retention-deps.js';
import { erasureRoutes } from './erasures.js';
import { subjectRoutes } from './subjects.js';

export type { RetentionApiDeps } from './retention-deps.js';

/**
 * Every retention, legal-hold and data-subject route (role `dpo`), for
 * `buildApp({ routes: [...evidenceRoutes(deps), ...retentionApiRoutes(rdeps)] })`.
 */
export function retentionApiRoutes(deps: RetentionApiDeps): ReadonlyArray<(app: ApiInstance) => Promise<void>> {
  return [retentionRoutes(deps), holdRoutes(deps), subjectRoutes(deps), erasureRoutes(deps)];
}

const policySchema = z.object({ recordingsDays: z.number().int(), evidenceDays: z.number().int(), quarantineDays: z.number().int() });
const count = z.number().int();
/** A finished (or lease-lost) run; the item lists name recordings and calls, never callers. */
const sweepReportSchema = z.object({
  status: z.enum(['done', 'lease_lost']),
  runId: z.string(),
  dryRun: z.boolean(),
  startedAt: z.string(),
  finishedAt: z.string(),
  recordings: z.looseObject({ due: count, deleted: count, alreadyAbsent: count, resumed: count, busy: count, held: count, locked: count, failed: count }),
  evidence: z.object({ due: count, erased: count, held: count, heldCallIds: z.array(z.string()), consentKept: count, consentKeptCallIds: z.array(z.string()) }),
});

/** The policies in force, and a sweep on demand. */
export function retentionRoutes(deps: RetentionApiDeps) {
  return async (app: ApiInstance) => {
    app.get(
      '/retention/policies',
      {
        config: { role: 'dpo' },
        schema: {
          summary: 'Retention policies in force (days after capture), per flow and default',
          tags: ['retention'],
          response: { 200: z.object({ default: policySchema, flows: z.record(z.string(), policySchema) }).describe('the policies') },
        },
      },
      async () => {
        const p = deps.retention.policies;
        return { default: p.default, flows: Object.fromEntries(p.flows) };
      },
    );

    app.get(
      '/retention/sweeps',
      {
        config: { role: 'dpo' },
        schema: {
          summary: 'The last finished sweeps (scheduled, on demand and dry runs), newest first: what each deleted and what it kept, and why',
          tags: ['retention'],
          querystring: z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(20) }),
          response: { 200: z.object({ sweeps: z.array(sweepReportSchema) }).describe('the runs’ reports') },
        },
      },
      // A fresh object per report: the schema's loose `recordings` wants an open shape.
      async (request) => ({ sweeps: (await deps.retention.sweeps(request.query.limit)).map((r) => ({ ...r, recordings: { ...r.recordings } })) }),
    );

    app.post(
      '/retention/sweeps',
      {
        config: { role: 'dpo' },
        schema: {
          summary: 'Run the retention sweep now (or a dry run); 409 while another run holds the lease',
          tags: ['retention'],
          body: z.strictObject({ dryRun: z.boolean().default(false) }).default({ dryRun: false }),
          response: {
            200: sweepReportSchema.describe('the run’s report'),
            ...errorResponses([409, 'sweep_running', 'another retention run holds the lease; details carry its holder and expiry']),
          },
        },
      },
      async (request, reply) => {
        const report = await deps.retention.sweep({ dryRun: request.body.dryRun });
        if (report.status === 'busy') {
          return reply.status(409).send({ error: 'sweep_running', message: `another retention run holds the lease (${report.holder ?? 'unknown'}) until ${report.until ?? '?'}; try again later`, details: report });
        }
        return report;
      },
    );
  };
}
