import { z } from 'zod';
import { normalizeCallerId } from '../../evidence/subject.js';
import { accessSummaryMarkdown } from '../../retention/access.js';
import { ApiError } from '../errors.js';
import { errorResponses } from '../openapi.js';
import type { ApiInstance } from '../types.js';
import { logAccess, reasonSchema } from './evidence-deps.js';
import type { RetentionApiDeps } from './retention-deps.js';

const party = z.object({ name: z.string(), contact: z.string().optional() });
/** The signed erasure certificate (`consentline erasure verify` checks it). */
export const certificateSchema = z.object({
  type: z.literal('consentline-erasure-certificate-v1'),
  requestId: z.string(),
  issuedAt: z.string(),
  controller: party,
  subject: z.object({ masked: z.string() }),
  erased: z.object({ callIds: z.array(z.string()), subjectRecords: z.number().int(), recordingIds: z.array(z.string()) }),
  notErased: z.object({
    heldCallIds: z.array(z.string()),
    locked: z.array(z.object({ recordingId: z.string(), retainUntil: z.string().nullable(), detail: z.string() })),
    pending: z.array(z.object({ recordingId: z.string(), detail: z.string() })),
  }),
  ledger: z.object({ seq: z.number().int(), hash: z.string() }),
  verifierKey: z.string(),
  signature: z.string(),
});
/** The Art. 15 export: its calls are described field by field in docs/ (dpo guide); they pass through as built. */
const accessExportSchema = z.object({
  export: z.object({
    type: z.literal('consentline-access-export-v1'),
    generatedAt: z.string(),
    lang: z.enum(['pl', 'en']),
    controller: party,
    subject: z.object({ masked: z.string() }),
    calls: z.array(z.looseObject({ callId: z.string() })),
  }),
  summary: z.string().describe('the same, readable (Markdown)'),
});

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
          response: {
            200: z.object({ certificate: certificateSchema }).describe('the signed erasure certificate'),
            ...errorResponses([409, 'sweep_running', 'a retention run holds the lease; try again in a minute']),
          },
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
          response: {
            200: {
              description: "the caller's data: JSON (format json) or the summary alone (format markdown)",
              content: { 'application/json': { schema: accessExportSchema }, 'text/markdown': { schema: z.string() } },
            },
            ...errorResponses('unavailable'),
          },
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
