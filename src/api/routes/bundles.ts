import { z } from 'zod';
import { buildBundle } from '../../evidence/bundle.js';
import { ApiError } from '../errors.js';
import { CHECKPOINT_CONFLICT, errorResponses } from '../openapi.js';
import type { ApiInstance } from '../types.js';
import { callIdSchema, logAccess, reasonSchema, type EvidenceApiDeps } from './evidence-deps.js';
import { bundleSchema } from './response-schemas.js';

const MAX_CALLS = 100;

/**
 * Evidence bundle export: the calls' events, the prompts played, inclusion proofs against a
 * signed checkpoint (signed now if the latest does not cover the calls) and a signature over
 * the whole; `consentline bundle verify` checks it offline.
 */
export function bundleRoutes(deps: EvidenceApiDeps) {
  return async (app: ApiInstance) => {
    app.post(
      '/bundles',
      {
        config: { role: 'auditor' },
        schema: {
          summary: 'Export a signed, offline-verifiable evidence bundle for one or more calls',
          tags: ['bundles'],
          body: z.strictObject({
            callIds: z
              .array(callIdSchema)
              .min(1)
              .max(MAX_CALLS)
              .refine((ids) => new Set(ids).size === ids.length, 'must not repeat a call id'),
            reason: reasonSchema,
          }),
          response: {
            // The bundle's format is docs/evidence-bundle-format.md: its members pass through as built.
            200: bundleSchema
              .describe('a signed evidence bundle (docs/evidence-bundle-format.md); `consentline bundle verify` checks it offline'),
            ...errorResponses('not_found', CHECKPOINT_CONFLICT, 'unavailable'),
          },
        },
      },
      async (request, reply) => {
        const { callIds, reason } = request.body;
        const calls = [];
        const missing: string[] = [];
        for (const callId of callIds) {
          const t = await deps.queries.timeline(callId);
          if (!t || t.events.length === 0) missing.push(callId);
          else calls.push({ callId, events: t.events.map(({ check: _c, ...e }) => e) });
        }
        if (missing.length) throw new ApiError('not_found', 'no evidence for some calls', { missing });
        const maxSeq = Math.max(...calls.map((c) => c.events[c.events.length - 1]!.seq));
        const cp = await deps.checkpoints.covering(maxSeq);
        if (!cp.ok) return reply.status(409).send({ error: cp.reason, message: 'no checkpoint can be signed over this ledger' });
        await logAccess(deps, request, { callIds, reason });
        const bundle = await buildBundle(
          calls,
          { checkpoint: cp.checkpoint, signer: deps.signer, prove: (seqs, size) => deps.checkpoints.inclusions(seqs, size) },
          new Date(deps.clock.now()).toISOString(),
        );
        reply.header('content-disposition', `attachment; filename="evidence-bundle-${cp.checkpoint.treeSize}.json"`);
        return bundle;
      },
    );
  };
}
