import { z } from 'zod';
import type { ApiInstance } from '../types.js';
import type { EvidenceApiDeps } from './evidence-deps.js';
import { dayBound } from './time-range.js';

const MAX_DAYS = 366;
const FLOW = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be a flow id');

/** from/to as days, to not before from, at most MAX_DAYS apart; `extra` adds filters. */
function dayRange<T extends z.ZodRawShape>(extra: T) {
  const days = (q: unknown) => q as { from: string; to: string };
  return z
    .strictObject({ from: dayBound('from'), to: dayBound('to'), ...extra })
    .refine((q) => days(q).to >= days(q).from, { message: 'must not be before from', path: ['to'] })
    .refine((q) => (Date.parse(days(q).to) - Date.parse(days(q).from)) / 86_400_000 < MAX_DAYS, {
      message: `a range may span at most ${MAX_DAYS} days`,
      path: ['to'],
    });
}

const overviewRow = z.object({
  day: z.string(),
  flowId: z.string(),
  language: z.string().nullable().describe('the language the call was served in; null when none was chosen'),
  calls: z.number().int(),
  continued: z.number().int(),
  objected: z.number().int(),
  abandoned: z.number().int(),
  failed: z.number().int(),
  open: z.number().int().describe('calls with no outcome yet'),
  clauseListens: z.number().int(),
  marketingYes: z.number().int(),
  marketingNo: z.number().int(),
});

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
          querystring: dayRange({ flow: FLOW.optional() }),
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
    app.get(
      '/stats/overview',
      {
        config: { role: 'auditor' },
        schema: {
          summary: 'Calls per day, flow and language: outcomes, clause listens and marketing answers (the console overview)',
          tags: ['stats'],
          querystring: dayRange({
            flow: FLOW.optional(),
            language: z.string().regex(/^[a-z]{2}(_[A-Z]{2})?$/, 'must be a language code like "pl" or "en"').optional(),
          }),
          response: { 200: z.object({ from: z.string(), to: z.string(), rows: z.array(overviewRow) }).describe('counters per UTC day, flow and language') },
        },
      },
      async (request) => {
        const { from, to, flow, language } = request.query;
        const rows = await deps.queries.overview({ fromDay: from, toDay: to, ...(flow === undefined ? {} : { flowId: flow }), ...(language === undefined ? {} : { language }) });
        return { from, to, rows };
      },
    );
  };
}
