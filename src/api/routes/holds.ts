import { z } from 'zod';
import { normalizeCallerId } from '../../evidence/subject.js';
import type { HoldTarget } from '../../retention/service.js';
import { UnknownHoldTargetError } from '../../retention/hold-errors.js';
import { ApiError } from '../errors.js';
import { errorResponses } from '../openapi.js';
import type { ApiInstance } from '../types.js';
import { callIdSchema, reasonSchema } from './evidence-deps.js';
import type { RetentionApiDeps } from './retention-deps.js';

const holdId = z.string().regex(/^[0-9a-f-]{36}$/, 'must be a hold id');
const required = (s: typeof reasonSchema) => s.unwrap();

const tokenRef = { tokenId: z.string(), name: z.string() };
/** A hold as the API shows it (`holdView`). */
const holdSchema = z.object({
  id: z.string(),
  scope: z.enum(['call', 'caller', 'flow']),
  callId: z.string().optional(),
  flowId: z.string().optional(),
  reason: z.string(),
  setBy: z.object(tokenRef),
  setAt: z.string(),
  active: z.boolean(),
  releaseRequested: z.object({ ...tokenRef, at: z.string(), reason: z.string().nullable() }).nullable(),
  released: z.object({ ...tokenRef, at: z.string() }).nullable(),
});
const HOLD_NOT_FOUND = [404, 'not_found', 'no such hold'] as const;

/**
 * Legal holds: set on a call, a caller (by number, kept only as its peppered look-up key) or a
 * flow; released by two different DPO tokens (the first asks, the second approves).
 */
export function holdRoutes(deps: RetentionApiDeps) {
  const who = (request: { principal: { id: string; name: string; role: string; subject: string } | null }) => {
    const p = request.principal;
    if (!p) throw new ApiError('unauthorized');
    return { tokenId: p.id, tokenName: p.name, role: p.role, subject: p.subject };
  };
  const callerNumber = z
    .string()
    .max(64)
    .refine((v) => normalizeCallerId(v, deps.defaultCountryCode) !== null, 'is not a phone number');

  return async (app: ApiInstance) => {
    const body = z.discriminatedUnion('scope', [
      z.strictObject({ scope: z.literal('call'), callId: callIdSchema, reason: required(reasonSchema) }),
      z.strictObject({ scope: z.literal('caller'), callerNumber, reason: required(reasonSchema) }),
      z.strictObject({ scope: z.literal('flow'), flowId: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be a flow id'), reason: required(reasonSchema) }),
    ]);
    app.post(
      '/holds',
      {
        config: { role: 'dpo' },
        schema: {
          summary: 'Set a legal hold on a call, a caller or a flow',
          tags: ['holds'],
          body,
          response: { 201: holdSchema.describe('the hold, set'), ...errorResponses([404, 'not_found', 'no such call']) },
        },
      },
      async (request, reply) => {
        const b = request.body;
        let target: HoldTarget;
        if (b.scope === 'caller') {
          const e164 = normalizeCallerId(b.callerNumber, deps.defaultCountryCode);
          if (e164 === null) throw new ApiError('bad_request', 'invalid body.callerNumber');
          target = { scope: 'caller', e164 };
        } else target = b.scope === 'call' ? { scope: 'call', callId: b.callId } : { scope: 'flow', flowId: b.flowId };
        const hold = await deps.retention.setHold(target, b.reason, who(request)).catch((err: unknown) => {
          throw err instanceof UnknownHoldTargetError ? new ApiError('not_found', 'no such call') : err;
        });
        return reply.status(201).send(hold);
      },
    );

    app.get(
      '/holds',
      {
        config: { role: 'dpo' },
        schema: {
          summary: 'Legal holds, newest first',
          tags: ['holds'],
          querystring: z.strictObject({ active: z.enum(['true', 'false']).optional() }),
          response: { 200: z.object({ holds: z.array(holdSchema) }).describe('the holds') },
        },
      },
      async (request) => ({ holds: await deps.retention.holds({ active: request.query.active === 'true' }) }),
    );

    app.get(
      '/holds/:holdId',
      {
        config: { role: 'dpo' },
        schema: {
          summary: 'One legal hold',
          tags: ['holds'],
          params: z.strictObject({ holdId }),
          response: { 200: holdSchema.describe('the hold'), ...errorResponses(HOLD_NOT_FOUND) },
        },
      },
      async (request) => {
        const h = await deps.retention.hold(request.params.holdId);
        if (!h) throw new ApiError('not_found', 'no such hold');
        return h;
      },
    );

    app.post(
      '/holds/:holdId/release',
      {
        config: { role: 'dpo' },
        schema: {
          summary: 'Release a hold, four eyes: the first DPO token asks (202), one of a different person approves (200); the same person twice is refused (409)',
          tags: ['holds'],
          params: z.strictObject({ holdId }),
          body: z.strictObject({ reason: reasonSchema }).default({}),
          response: {
            200: z.object({ status: z.literal('released'), hold: holdSchema, ledgerSeq: z.number().int() }).describe('released by a second person'),
            202: z.object({ status: z.literal('release_requested'), message: z.string(), hold: holdSchema }).describe('release asked for; another person must approve'),
            ...errorResponses(
              HOLD_NOT_FOUND,
              [409, 'four_eyes_required', 'the same person asked for the release'],
              [409, 'hold_not_active', 'the hold is already released'],
            ),
          },
        },
      },
      async (request, reply) => {
        const r = await deps.retention.releaseHold(request.params.holdId, who(request), request.body.reason ?? null);
        switch (r.status) {
          case 'requested':
            return reply.status(202).send({ status: 'release_requested', message: 'release requested; a DPO token of another person must approve it', hold: r.hold });
          case 'released':
            return reply.status(200).send({ status: 'released', hold: r.hold, ledgerSeq: r.seq });
          case 'same_person':
            return reply.status(409).send({
              error: 'four_eyes_required',
              message: `the release was asked for by ${r.person}, the holder of this token; a different DPO token, of another person, must approve it`,
              details: { hold: r.hold },
            });
          case 'not_active':
            return reply.status(409).send({ error: 'hold_not_active', message: 'the hold is already released', details: { hold: r.hold } });
          case 'not_found':
            throw new ApiError('not_found', 'no such hold');
        }
      },
    );
  };
}
