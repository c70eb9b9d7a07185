import { z } from 'zod';
import type { ApiInstance } from '../types.js';
import { holdRoutes } from './holds.js';
import type { RetentionApiDeps } from './retention-deps.js';
import { subjectRoutes } from './subjects.js';

export type { RetentionApiDeps } from './retention-deps.js';

/**
 * Every retention, legal-hold and data-subject route (role `dpo`), for
 * `buildApp({ routes: [...evidenceRoutes(deps), ...retentionApiRoutes(rdeps)] })`.
 */
export function retentionApiRoutes(deps: RetentionApiDeps): ReadonlyArray<(app: ApiInstance) => Promise<void>> {
  return [retentionRoutes(deps), holdRoutes(deps), subjectRoutes(deps)];
}

/** The policies in force, and a sweep on demand. */
export function retentionRoutes(deps: RetentionApiDeps) {
  return async (app: ApiInstance) => {
    app.get(
      '/retention/policies',
      { config: { role: 'dpo' }, schema: { summary: 'Retention policies in force (days after capture), per flow and default', tags: ['retention'] } },
      async () => {
        const p = deps.retention.policies;
        return { default: p.default, flows: Object.fromEntries(p.flows) };
      },
    );

    app.post(
      '/retention/sweeps',
      {
        config: { role: 'dpo' },
        schema: {
          summary: 'Run the retention sweep now (or a dry run); 409 while another run holds the lease',
          tags: ['retention'],
          body: z.strictObject({ dryRun: z.boolean().default(false) }).default({ dryRun: false }),
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
