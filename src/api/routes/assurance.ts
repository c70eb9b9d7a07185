import { z } from 'zod';
import { FINDING_ID_PATTERN, FINDING_KINDS, FINDING_STATUSES } from '../../assurance/findings.js';
import { MAX_WINDOW_DAYS } from '../../assurance/runner.js';
import type { AssuranceService } from '../../assurance/service.js';
import { ApiError } from '../errors.js';
import { errorResponses } from '../openapi.js';
import type { ApiInstance } from '../types.js';
import { reasonSchema } from './evidence-deps.js';
import { timeBound } from './time-range.js';

const counts = z.object(Object.fromEntries(FINDING_KINDS.map((k) => [k, z.number().int()])) as Record<(typeof FINDING_KINDS)[number], z.ZodNumber>);
const findingSchema = z.object({
  id: z.string(),
  kind: z.enum(FINDING_KINDS),
  subject: z.string().describe('what it is about: call:<id>, channel:<uniqueid>, recording:<id>, object:<key> or sha256:<hex>'),
  callId: z.string().nullable(),
  recordingId: z.string().nullable(),
  occurredAt: z.string(),
  detail: z.record(z.string(), z.unknown()).describe('ids, states and which source says what'),
  status: z.enum(FINDING_STATUSES),
  firstRun: z.string(),
  lastRun: z.string(),
  firstSeenAt: z.string(),
  lastSeenAt: z.string(),
  acknowledgedBy: z.string().nullable(),
  acknowledgedAt: z.string().nullable(),
  ackReason: z.string().nullable(),
});
const runSchema = z.object({
  id: z.string(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  from: z.string(),
  to: z.string(),
  trigger: z.enum(['schedule', 'cli', 'api']),
  status: z.enum(['running', 'done', 'failed']),
  summary: z.record(z.string(), z.unknown()).nullable(),
});
const reportSchema = z
  .object({
    runId: z.string(),
    trigger: z.enum(['schedule', 'cli', 'api']),
    from: z.string(),
    to: z.string(),
    startedAt: z.string(),
    finishedAt: z.string(),
    found: counts,
    opened: z.number().int(),
    resolved: z.number().int(),
    open: z.number().int().describe('findings of this run still open'),
    coverage: z.record(z.string(), z.unknown()).describe('how many records each source gave, and the ledger calls Asterisk has no record of'),
    findings: z.array(findingSchema),
  })
  .describe('one assurance run');
const FINDING_NOT_FOUND = [404, 'not_found', 'no such finding'] as const;

/**
 * Recording assurance for the DPO: the findings (Asterisk's records, the ledger and the stored
 * recordings reconciled), a run on demand, and acknowledging a finding with a reason (one
 * person; the ledger records it as `assurance.acknowledged`).
 */
export function assuranceRoutes(deps: { readonly assurance: AssuranceService }) {
  return async (app: ApiInstance) => {
    app.get(
      '/assurance',
      {
        config: { role: 'dpo' },
        schema: {
          summary: 'Recording assurance: the last run, open findings by kind, and findings (open by default)',
          tags: ['assurance'],
          querystring: z.strictObject({
            status: z.enum([...FINDING_STATUSES, 'all']).default('open'),
            kind: z.enum(FINDING_KINDS).optional(),
            from: timeBound('from').optional(),
            to: timeBound('to').optional(),
            limit: z.coerce.number().int().min(1).max(10_000).default(1000),
          }),
          response: { 200: z.object({ ok: z.boolean().describe('true when no finding is open'), lastRun: runSchema.nullable(), open: counts, findings: z.array(findingSchema) }) },
        },
      },
      async (request) => {
        const { status, kind, from, to, limit } = request.query;
        const s = await deps.assurance.status({ limit, ...(status === 'all' ? {} : { status }), ...(kind ? { kind } : {}), ...(from ? { from } : {}), ...(to ? { to } : {}) });
        return { ok: Object.values(s.open).every((n) => n === 0), ...s };
      },
    );

    app.post(
      '/assurance/runs',
      {
        config: { role: 'dpo' },
        schema: {
          summary: `Run the reconciliation now over a window (at most ${MAX_WINDOW_DAYS} days)`,
          tags: ['assurance'],
          body: z.strictObject({ from: timeBound('from'), to: timeBound('to') }),
          response: { 201: reportSchema, ...errorResponses([400, 'bad_request', 'the window must end after it starts and span at most 92 days']) },
        },
      },
      async (request, reply) => {
        const { from, to } = request.body;
        if (!(from < to) || Date.parse(to) - Date.parse(from) > MAX_WINDOW_DAYS * 86_400_000) {
          throw new ApiError('bad_request', `the window must end after it starts and span at most ${MAX_WINDOW_DAYS} days`);
        }
        return reply.status(201).send(await deps.assurance.run({ from, to }, 'api'));
      },
    );

    app.post(
      '/assurance/findings/:findingId/acknowledge',
      {
        config: { role: 'dpo' },
        schema: {
          summary: 'Acknowledge an open finding with a reason (recorded in the ledger; one person suffices)',
          tags: ['assurance'],
          params: z.strictObject({ findingId: z.string().regex(FINDING_ID_PATTERN, 'must be a finding id (af-…)') }),
          body: z.strictObject({ reason: reasonSchema.unwrap() }),
          response: { 200: findingSchema, ...errorResponses(FINDING_NOT_FOUND, 'finding_not_open') },
        },
      },
      async (request) => {
        const p = request.principal;
        if (!p) throw new ApiError('unauthorized');
        const r = await deps.assurance.acknowledge(request.params.findingId, { tokenId: p.id, tokenName: p.name, role: p.role, subject: p.subject }, request.body.reason);
        if (r.status === 'not_found') throw new ApiError('not_found', 'no such finding');
        if (r.status === 'not_open') throw new ApiError('finding_not_open');
        return r.finding;
      },
    );
  };
}
