import { z } from 'zod';
import type { ApiInstance } from '../types.js';
import type { EvidenceApiDeps } from './evidence-deps.js';
import { dayBound } from './time-range.js';

const MAX_DAYS = 366;

/** Counters per flow and UTC day: no personal data, so no access log. */
export function statsRoutes(deps: EvidenceApiDeps) {
  return async (app: ApiInstance) => {
    app.get(
      '/stats',
      {
        config: { role: 'auditor' },
        schema: {
          summary: 'Calls, notices heard, abandons, objections, clause listens and marketing answers per flow and day',
          tags: ['stats'],
          querystring: z
            .strictObject({
              from: dayBound('from'),
              to: dayBound('to'),
              flow: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be a flow id').optional(),
            })
            .refine((q) => q.to >= q.from, { message: 'must not be before from', path: ['to'] })
            .refine((q) => (Date.parse(q.to) - Date.parse(q.from)) / 86_400_000 < MAX_DAYS, {
              message: `a range may span at most ${MAX_DAYS} days`,
              path: ['to'],
            }),
          response: {
            200: z
              .object({
                from: z.string(),
                to: z.string(),
                days: z.array(
                  z.object({
                    flowId: z.string(),
                    day: z.string(),
                    calls: z.number().int(),
                    noticeCompleted: z.number().int(),
                    abandonedDuringNotice: z.number().int(),
                    objections: z.number().int(),
                    clauseListens: z.number().int(),
                    marketingYes: z.number().int(),
                    marketingNo: z.number().int(),
                    recorded: z.number().int(),
                  }),
                ),
              })
              .describe('counters per flow and UTC day'),
          },
        },
      },
      async (request) => {
        const { from, to, flow } = request.query;
        const days = await deps.queries.stats({ fromDay: from, toDay: to, ...(flow === undefined ? {} : { flowId: flow }) });
        return { from, to, days };
      },
    );
  };
}
