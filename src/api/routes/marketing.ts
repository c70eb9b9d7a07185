import { serializerCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccessLog } from '../../evidence/access-log.js';
import { lookupMarketing, MAX_LOOKUP_NUMBERS } from '../../evidence/marketing-lookup.js';
import type { MarketingRegistryRepo } from '../../evidence/marketing-rows.js';
import { ApiError } from '../errors.js';
import { errorResponses } from '../openapi.js';
import type { ApiInstance } from '../types.js';
import { marketingResultsJson } from './marketing-json.js';

export interface MarketingApiDeps {
  readonly registry: Pick<MarketingRegistryRepo, 'lookup'>;
  readonly access: AccessLog;
  /** The look-up pepper: numbers are HMAC'd with it on the way in, never kept. */
  readonly pepper: string;
  readonly defaultCountryCode: string;
}

const wellFormed = (s: string) => !/\p{Cs}/u.test(s);

const answerSchema = z.object({
  number: z.string().describe('the number as it was asked about'),
  e164: z.string().nullable(),
  state: z.enum(['given', 'withdrawn', 'none']).describe('only `given` allows a marketing call'),
  problem: z.literal('not_a_phone_number').optional(),
  since: z.string().optional(),
  controller: z.string().nullable().optional(),
  channels: z.array(z.string()).nullable().optional(),
  textVersion: z.string().nullable().optional(),
  how: z.string().optional(),
  evidence: z.object({ seq: z.number().int(), callId: z.string().nullable() }).optional(),
});

/** The 200 answer; {@link marketingResultsJson} writes it (test/api/routes/marketing-json.test.ts holds the two together). */
export const lookupResponse = z.object({ results: z.array(answerSchema) }).describe('one answer per number, in the order asked');

/**
 * The marketing consent look-up for outbound dialers (role `dialer`; dpo and admin too):
 * POST, so no number ever lands in a URL or an access log line. Each look-up is written to
 * the ledger's access log with the count, the token and the purpose, without the numbers.
 */
export function marketingApiRoutes(deps: MarketingApiDeps): ReadonlyArray<(app: ApiInstance) => Promise<void>> {
  return [
    async (app: ApiInstance) => {
      app.post(
        '/marketing-consents/lookup',
        {
          config: { role: 'dialer' },
          // The answers without zod (the same JSON, a fraction of the cost: marketing-json.ts); errors through zod.
          serializerCompiler: (route) =>
            route.httpStatus === '200'
              ? (data) => marketingResultsJson(data as Parameters<typeof marketingResultsJson>[0])
              : // fastify hands over one status's schema; the option's type names the whole route's.
                serializerCompiler(route as unknown as Parameters<typeof serializerCompiler>[0]),
          schema: {
            summary: 'Marketing consent per number (given, withdrawn or none) with the evidence behind it, for outbound dialers',
            tags: ['marketing'],
            body: z.strictObject({
              numbers: z.array(z.string().max(64)).min(1).max(MAX_LOOKUP_NUMBERS).describe('numbers in E.164 or as dialled; normalised, HMACd, kept nowhere'),
              purpose: z
                .string()
                .max(200)
                .refine((s) => s.trim() !== '', 'must not be blank')
                .refine(wellFormed, 'must be well-formed Unicode text')
                .describe('why the numbers are looked up (e.g. the campaign); written to the access log'),
            }),
            response: { 200: lookupResponse, ...errorResponses('unavailable') },
          },
        },
        async (request) => {
          const p = request.principal;
          if (!p) throw new ApiError('unauthorized');
          const { numbers, purpose } = request.body;
          const logged = deps.access.record({
            who: { tokenId: p.id, tokenName: p.name, role: p.role },
            route: 'POST /marketing-consents/lookup',
            callIds: [],
            criteria: ['numbers'],
            count: numbers.length,
            purpose,
          });
          // The answers are worked out while the log entry commits (the commit starts on the next
          // turn of the event loop, hence the wait for it); none is sent before the entry is
          // durable, and none at all if it fails.
          const answers = new Promise<void>((resolve) => setImmediate(resolve)).then(() => lookupMarketing(deps.registry, numbers, deps));
          answers.catch(() => undefined); // awaited below, once the log has answered
          try {
            await logged;
          } catch (err) {
            request.log.error({ err }, 'access log write failed; the look-up was refused');
            throw new ApiError('unavailable', 'the look-up could not be logged, so nothing was answered');
          }
          return { results: await answers };
        },
      );
    },
  ];
}
