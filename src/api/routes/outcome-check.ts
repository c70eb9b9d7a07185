import { z } from 'zod';
import type { ApiInstance } from '../types.js';
import type { EvidenceApiDeps } from './evidence-deps.js';
import { timeBound } from './time-range.js';

const outcomeCheckSchema = z
  .object({
    ok: z.boolean().describe('true when every settled call has exactly one outcome'),
    graceSeconds: z.number().int(),
    settledBefore: z.string().describe('calls without an outcome that started after this instant are still in progress'),
    findings: z.array(
      z.object({
        callId: z.string(),
        startedAt: z.string(),
        server: z.string().nullable(),
        outcomes: z.number().int().describe('0, or more than 1'),
      }),
    ),
    truncated: z.boolean().describe('more findings exist than `limit`'),
  })
  .describe('the one-outcome invariant');

/**
 * The one-outcome invariant for auditors: calls with no outcome once they can no longer be in
 * progress, and calls with more than one. Call ids, times and servers only: no access log.
 */
export function outcomeCheckRoutes(deps: Pick<EvidenceApiDeps, 'queries' | 'clock'> & { readonly outcomeGraceSeconds: number }) {
  return async (app: ApiInstance) => {
    app.get(
      '/calls/outcome-check',
      {
        config: { role: 'auditor' },
        schema: {
          summary: 'Calls with zero or more than one outcome (continued, abandoned, failed); empty when every call has exactly one',
          tags: ['calls'],
          querystring: z.strictObject({
            from: timeBound('from').optional(),
            graceSeconds: z.coerce
              .number()
              .int()
              .min(0)
              .max(31 * 86_400)
              .optional()
              .describe('a call younger than this without an outcome counts as in progress; default the longest call time limit + 60 s'),
            limit: z.coerce.number().int().min(1).max(10_000).default(1000),
          }),
          response: { 200: outcomeCheckSchema },
        },
      },
      async (request) => {
        const { from, graceSeconds, limit } = request.query;
        const grace = graceSeconds ?? deps.outcomeGraceSeconds;
        const settledBefore = new Date(deps.clock.now() - grace * 1000).toISOString();
        const check = await deps.queries.outcomeCheck({ settledBefore, limit, ...(from === undefined ? {} : { from }) });
        return { ok: check.findings.length === 0, graceSeconds: grace, ...check };
      },
    );
  };
}
