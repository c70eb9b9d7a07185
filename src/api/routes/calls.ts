import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { CallSearch } from '../../evidence/queries.js';
import { buildIso27560Record } from '../../evidence/receipt-iso27560.js';
import { buildConsentReceipt, completeController } from '../../evidence/receipt.js';
import { lookupKey, normalizeCallerId } from '../../evidence/subject.js';
import { ApiError } from '../errors.js';
import { CHECKPOINT_CONFLICT, errorResponses } from '../openapi.js';
import type { ApiInstance } from '../types.js';
import { timeBound } from './time-range.js';
import {
  callIdSchema,
  callView,
  cursorSchema,
  encodeCursor,
  logAccess,
  reasonSchema,
  type EvidenceApiDeps,
} from './evidence-deps.js';
import { callPageSchema, callViewSchema, checkpointSchema, eventSchema, inclusionProofSchema } from './response-schemas.js';

const timelineSchema = z.object({
  callId: z.string(),
  call: callViewSchema.nullable(),
  verification: z.object({ ok: z.boolean(), firstBroken: z.number().int().nullable() }),
  events: z.array(eventSchema.extend({ check: z.enum(['ok', 'hash_mismatch', 'prev_link_mismatch', 'prev_missing']) })),
});
const callProofSchema = z.object({
  callId: z.string(),
  checkpoint: checkpointSchema,
  proofs: z.array(inclusionProofSchema.extend({ hash: z.string() })),
});
/** The receipt is its own format (Kantara CR v1.1, see docs/): named fields are the spec's, everything passes through. */
const receiptSchema = z.looseObject({ version: z.string().optional(), jurisdiction: z.string().optional(), consentTimestamp: z.number().optional() });

const filters = {
  from: timeBound('from').optional(),
  to: timeBound('to').optional(),
  did: z.string().regex(/^\+?[0-9]{2,20}$/, 'must be a phone number (digits, optional +)').optional(),
  flow: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be a flow id').optional(),
  outcome: z.enum(['continued', 'objected', 'abandoned', 'failed']).optional(),
  language: z.string().regex(/^[a-z]{2}(_[A-Z]{2})?$/, 'must be a language code like "pl" or "en"').optional(),
  marketing: z.enum(['yes', 'no', 'none']).optional(),
  recording: z.enum(['yes', 'no']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: cursorSchema.optional().describe('nextCursor from the previous page'),
  reason: reasonSchema,
};

const filtersSchema = z.strictObject(filters);
type Filters = z.output<typeof filtersSchema>;

const FILTER_NAMES = ['from', 'to', 'did', 'flow', 'language', 'outcome', 'marketing', 'recording'] as const;

function toSearch(f: Filters, callerLookup?: string): CallSearch {
  return {
    ...(f.from === undefined ? {} : { from: f.from }),
    ...(f.to === undefined ? {} : { to: f.to }),
    ...(f.did === undefined ? {} : { did: f.did }),
    ...(f.flow === undefined ? {} : { flowId: f.flow }),
    ...(f.outcome === undefined ? {} : { outcome: f.outcome }),
    ...(f.language === undefined ? {} : { language: f.language }),
    ...(f.marketing === undefined ? {} : { marketing: f.marketing }),
    ...(f.recording === undefined ? {} : { recording: f.recording }),
    ...(callerLookup === undefined ? {} : { callerLookup }),
    ...(f.cursor === undefined ? {} : { after: f.cursor }),
    limit: f.limit,
  };
}

const callParams = z.strictObject({ callId: callIdSchema });

/**
 * Call search (by the projection), search by caller number (DPO: the number is normalised
 * and HMAC'd on the way in and goes nowhere else), one call's verified timeline, its consent
 * receipt and its inclusion proofs. Every read is in the access log first.
 */
export function callRoutes(deps: EvidenceApiDeps) {
  const search = async (request: FastifyRequest, f: Filters, callerLookup?: string) => {
    const page = await deps.queries.searchCalls(toSearch(f, callerLookup));
    const criteria = [...(callerLookup === undefined ? [] : ['callerNumber']), ...FILTER_NAMES.filter((k) => f[k] !== undefined)];
    await logAccess(deps, request, { callIds: page.calls.map((c) => c.callId), criteria, reason: f.reason });
    return { calls: page.calls.map(callView), nextCursor: page.next ? encodeCursor(page.next) : null };
  };

  return async (app: ApiInstance) => {
    app.get(
      '/calls',
      {
        config: { role: 'auditor' },
        schema: {
          summary: 'Search calls (newest first, paginated)',
          tags: ['calls'],
          querystring: filtersSchema,
          response: { 200: callPageSchema.describe('a page of calls'), ...errorResponses('unavailable') },
        },
      },
      async (request) => search(request, request.query),
    );

    const byCaller = z.strictObject({
      ...filters,
      callerNumber: z
        .string()
        .max(64)
        .refine((v) => normalizeCallerId(v, deps.defaultCountryCode) !== null, 'is not a phone number')
        .describe('caller number in any common form; normalised to E.164, used only as a peppered HMAC'),
    });
    // POST, so the number stays out of URLs and request logs.
    app.post(
      '/calls/search-by-caller',
      {
        config: { role: 'dpo' },
        schema: {
          summary: "Find a caller's calls by their number",
          tags: ['calls'],
          body: byCaller,
          response: { 200: callPageSchema.describe('a page of calls'), ...errorResponses('unavailable') },
        },
      },
      async (request) => {
        const { callerNumber, ...f } = request.body;
        const e164 = normalizeCallerId(callerNumber, deps.defaultCountryCode);
        if (e164 === null) throw new ApiError('bad_request', 'invalid body.callerNumber');
        return search(request, f, lookupKey(deps.pepper, e164));
      },
    );

    app.get(
      '/calls/:callId/timeline',
      {
        config: { role: 'auditor' },
        schema: {
          summary: "One call's evidence events, each checked against its hash and its link",
          tags: ['calls'],
          params: callParams,
          querystring: z.strictObject({ reason: reasonSchema }),
          response: { 200: timelineSchema.describe("the call's events, each with its check"), ...errorResponses('not_found', 'unavailable') },
        },
      },
      async (request) => {
        const { callId } = request.params;
        const t = await deps.queries.timeline(callId);
        if (!t) throw new ApiError('not_found', 'no evidence for this call');
        await logAccess(deps, request, { callIds: [callId], reason: request.query.reason });
        return {
          callId,
          call: t.call ? callView(t.call) : null,
          verification: { ok: t.firstBroken === null, firstBroken: t.firstBroken },
          events: t.events,
        };
      },
    );

    app.get(
      '/calls/:callId/receipt',
      {
        config: { role: 'dpo' },
        schema: {
          summary: 'Consent receipt for one call: Kantara Consent Receipt v1.1 (default) or an ISO/IEC TS 27560-shaped record',
          tags: ['calls'],
          params: callParams,
          querystring: z.strictObject({ format: z.enum(['kantara', 'iso27560']).default('kantara'), reason: reasonSchema }),
          response: { 200: receiptSchema.describe('a Kantara Consent Receipt v1.1, or with format=iso27560 an ISO/IEC TS 27560-shaped record'), ...errorResponses('not_found', 'unavailable', 'controller_incomplete') },
        },
      },
      async (request) => {
        const { callId } = request.params;
        const complete = completeController(deps.controller);
        if (!complete.ok) throw new ApiError('controller_incomplete', `set ${complete.missing.join(', ')} in the configuration to issue receipts`);
        const t = await deps.queries.timeline(callId);
        const build = request.query.format === 'iso27560' ? buildIso27560Record : buildConsentReceipt;
        const receipt = t ? build(callId, t.events, t.call, complete.controller, { publicKey: deps.checkpoints.verifierKey }) : null;
        if (!receipt) throw new ApiError('not_found', 'no call.started evidence for this call');
        await logAccess(deps, request, { callIds: [callId], reason: request.query.reason });
        return receipt;
      },
    );

    app.get(
      '/calls/:callId/proof',
      {
        config: { role: 'auditor' },
        schema: {
          summary: "Inclusion proofs of a call's events against a signed checkpoint",
          tags: ['calls', 'checkpoints'],
          params: callParams,
          querystring: z.strictObject({ reason: reasonSchema }),
          response: {
            200: callProofSchema.describe("inclusion proofs of every event of the call"),
            ...errorResponses('not_found', CHECKPOINT_CONFLICT, 'unavailable'),
          },
        },
      },
      async (request, reply) => {
        const { callId } = request.params;
        const t = await deps.queries.timeline(callId);
        if (!t || t.events.length === 0) throw new ApiError('not_found', 'no evidence for this call');
        const cp = await deps.checkpoints.covering(t.events[t.events.length - 1]!.seq);
        if (!cp.ok) return reply.status(409).send({ error: cp.reason, message: 'no checkpoint can be signed over this ledger' });
        await logAccess(deps, request, { callIds: [callId], reason: request.query.reason });
        const proved = await deps.checkpoints.inclusions(
          t.events.map((e) => e.seq),
          cp.checkpoint.treeSize,
        );
        const proofs = proved.map((p, i) => ({ ...p, hash: t.events[i]!.hash }));
        return { callId, checkpoint: checkpointView(cp.checkpoint), proofs };
      },
    );
  };
}

export function checkpointView(cp: { treeSize: number; rootHash: string; origin: string; createdAt: string; note: string; keyId: string }) {
  return {
    origin: cp.origin,
    treeSize: cp.treeSize,
    rootHash: Buffer.from(cp.rootHash, 'hex').toString('base64'),
    keyId: cp.keyId,
    createdAt: cp.createdAt,
    note: cp.note,
  };
}
