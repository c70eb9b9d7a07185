import { z } from 'zod';
import { ApiError } from '../errors.js';
import { errorResponses } from '../openapi.js';
import type { ApiInstance } from '../types.js';
import type { RetentionApiDeps } from './retention-deps.js';
import { certificateSchema } from './subjects.js';

const summarySchema = z.object({
  requestId: z.string(),
  requestedBy: z.string().describe('the token id that asked, or call:<id> for a withdrawal made by key in a call'),
  requestedAt: z.string(),
  status: z.enum(['done', 'open']).describe('done: erased, certificate signed; open: opened by a withdrawn recording consent, its recordings deleted by the next sweeps'),
  doneAt: z.string().nullable(),
  subjectMasked: z.string().nullable(),
  erased: z.object({ calls: z.number().int(), recordings: z.number().int(), subjectRecords: z.number().int() }).nullable(),
  notErased: z.object({ heldCallIds: z.array(z.string()), locked: z.number().int(), pending: z.number().int() }).nullable(),
});

/** Erasure requests (Art. 17) made so far: the list, and one with its signed certificate. */
export function erasureRoutes(deps: RetentionApiDeps) {
  return async (app: ApiInstance) => {
    app.get(
      '/subjects/erasures',
      {
        config: { role: 'dpo' },
        schema: {
          summary: 'Erasure requests, newest first (masked numbers only)',
          tags: ['subjects'],
          querystring: z.strictObject({ limit: z.coerce.number().int().min(1).max(200).default(50) }),
          response: { 200: z.object({ erasures: z.array(summarySchema) }).describe('the requests') },
        },
      },
      async (request) => ({ erasures: await deps.retention.erasures(request.query.limit) }),
    );

    app.get(
      '/subjects/erasures/:requestId',
      {
        config: { role: 'dpo' },
        schema: {
          summary: 'One erasure request: its signed certificate once done, and the holds that now cover the calls it had to keep',
          tags: ['subjects'],
          params: z.strictObject({ requestId: z.string().regex(/^[0-9a-f-]{36}$/, 'must be a request id') }),
          response: {
            200: z
              .object({
                erasure: summarySchema,
                certificate: certificateSchema.nullable(),
                heldCalls: z.array(z.object({ callId: z.string(), holdIds: z.array(z.string()).describe('active holds covering the call now') })),
              })
              .describe('the request'),
            ...errorResponses([404, 'not_found', 'no such erasure request']),
          },
        },
      },
      async (request) => {
        const r = await deps.retention.erasure(request.params.requestId);
        if (!r) throw new ApiError('not_found', 'no such erasure request');
        return { erasure: r.summary, certificate: r.certificate, heldCalls: r.heldCalls };
      },
    );
  };
}
