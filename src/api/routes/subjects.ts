import { z } from 'zod';
import { normalizeCallerId } from '../../evidence/subject.js';
import { accessSummaryMarkdown } from '../../retention/access.js';
import { ApiError } from '../errors.js';
import type { ApiInstance } from '../types.js';
import { logAccess, reasonSchema } from './evidence-deps.js';
import type { RetentionApiDeps } from './retention-deps.js';

/**
 * Data-subject requests by caller number (POST, so the number stays out of URLs and logs; it
 * is normalised and HMAC'd and kept nowhere): erasure (Art. 17) with a signed certificate, and
 * access (Art. 15) as JSON plus a readable summary in Polish or English.
 */
export function subjectRoutes(deps: RetentionApiDeps) {
  const callerNumber = z
    .string()
    .max(64)
    .refine((v) => normalizeCallerId(v, deps.defaultCountryCode) !== null, 'is not a phone number')
    .describe('caller number in any common form; normalised to E.164, used only as a peppered HMAC');
  const e164Of = (v: string) => {
    const e164 = normalizeCallerId(v, deps.defaultCountryCode);
    if (e164 === null) throw new ApiError('bad_request', 'invalid body.callerNumber');
    return e164;
  };

  return async (app: ApiInstance) => {
    app.post(
      '/subjects/erasure',
      {
        config: { role: 'dpo' },
        schema: {
          summary: "Erase a caller's data: recordings, number and look-up key (held calls reported, not erased); returns a signed certificate",
          tags: ['subjects'],
          body: z.strictObject({ callerNumber, reason: reasonSchema }),
        },
      },
      async (request, reply) => {
        const p = request.principal;
        if (!p) throw new ApiError('unauthorized');
        const r = await deps.retention.erase(e164Of(request.body.callerNumber), { tokenId: p.id, tokenName: p.name, role: p.role }, request.body.reason);
        if (r.status === 'busy') {
          return reply.status(409).send({ error: 'sweep_running', message: 'a retention run holds the lease; try the erasure again in a minute' });
        }
        return { certificate: r.certificate };
      },
    );

    app.post(
      '/subjects/access',
      {
        config: { role: 'dpo' },
        schema: {
          summary: "A caller's data (Art. 15): calls, notices heard, consents, recordings, sources; JSON with a summary, or the summary alone as Markdown",
          tags: ['subjects'],
          body: z.strictObject({
            callerNumber,
            lang: z.enum(['pl', 'en']).default('pl'),
            format: z.enum(['json', 'markdown']).default('json'),
            reason: reasonSchema,
          }),
        },
      },
      async (request, reply) => {
        const { callerNumber: raw, lang, format, reason } = request.body;
        const e164 = e164Of(raw);
        const callIds = await deps.retention.accessCalls(e164);
        await logAccess(deps, request, { callIds, criteria: ['callerNumber'], reason });
        const x = await deps.retention.accessExport(e164, lang);
        const summary = accessSummaryMarkdown(x);
        if (format === 'markdown') return reply.type('text/markdown; charset=utf-8').send(summary);
        return { export: x, summary };
      },
    );
  };
}
