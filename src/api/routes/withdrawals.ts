import { z } from 'zod';
import { normalizeCallerId } from '../../evidence/subject.js';
import { WITHDRAWAL_CHANNELS, WITHDRAWN_CONSENTS, type ConsentWithdrawals } from '../../retention/withdrawal.js';
import { ApiError } from '../errors.js';
import type { ApiInstance } from '../types.js';

export interface WithdrawalApiDeps {
  readonly withdrawals: Pick<ConsentWithdrawals, 'record'>;
  readonly defaultCountryCode: string;
}

const text = (max: number) =>
  z
    .string()
    .max(max)
    .refine((s) => s.trim() !== '', 'must not be blank')
    .refine((s) => !/[\p{Cc}\p{Cs}]/u.test(s), 'must be printable, well-formed text');

/** Withdrawals received by letter or e-mail, recorded by the DPO (Art. 7(3) GDPR). */
export function withdrawalApiRoutes(deps: WithdrawalApiDeps): ReadonlyArray<(app: ApiInstance) => Promise<void>> {
  return [
    async (app: ApiInstance) => {
      app.post(
        '/consents/withdrawals',
        {
          config: { role: 'dpo' },
          schema: {
            summary:
              'Record a consent withdrawal received by letter or e-mail: marketing (the registry changes at once) or recording (opens an erasure request for the recordings made on consent)',
            tags: ['subjects'],
            body: z.strictObject({
              callerNumber: z
                .string()
                .max(64)
                .refine((v) => normalizeCallerId(v, deps.defaultCountryCode) !== null, 'is not a phone number')
                .describe('the number the withdrawal is about, in any common form; normalised to E.164'),
              consent: z.enum(WITHDRAWN_CONSENTS),
              channel: z.enum(WITHDRAWAL_CHANNELS),
              reference: text(200).describe('the letter’s or e-mail’s reference, to find the original'),
            }),
            response: {
              201: z
                .looseObject({ seq: z.number().int(), at: z.string(), consent: z.enum(WITHDRAWN_CONSENTS) })
                .describe('the consent.withdrawn event; for recording consent also `recordings`: the erasure request opened and the recordings kept on legitimate interest'),
            },
          },
        },
        async (request, reply) => {
          const p = request.principal;
          if (!p) throw new ApiError('unauthorized');
          const { callerNumber, consent, channel, reference } = request.body;
          const e164 = normalizeCallerId(callerNumber, deps.defaultCountryCode);
          if (e164 === null) throw new ApiError('bad_request', 'invalid body.callerNumber');
          const result = await deps.withdrawals.record({ e164, consent, channel, reference: reference.trim(), by: { tokenId: p.id, tokenName: p.name, role: p.role } });
          return reply.status(201).send({ ...result });
        },
      );
    },
  ];
}
