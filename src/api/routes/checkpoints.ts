import { z } from 'zod';
import { auditLedger } from '../../evidence/ledger-audit.js';
import { ApiError } from '../errors.js';
import { CHECKPOINT_CONFLICT, errorResponses } from '../openapi.js';
import type { ApiInstance } from '../types.js';
import { checkpointView } from './calls.js';
import { seqSchema, type EvidenceApiDeps } from './evidence-deps.js';
import { ledgerVerifyView, trustedKeysOf } from './ledger-verify-view.js';
import { checkpointSchema, inclusionProofSchema } from './response-schemas.js';

/** The audit's named fields; the checkpoint audit inside is described in docs/auditor-guide.md. */
const ledgerVerifySchema = z.looseObject({
  ok: z.boolean(),
  checked: z.number().int(),
  headHash: z.string().optional(),
  brokenAt: z.number().int().nullable().optional().describe('the first seq in doubt; null when a checkpoint fails without naming one'),
  reason: z.string().optional(),
  explanation: z.string().optional(),
  range: z.object({ fromSeq: z.number().int(), toSeq: z.number().int().nullable() }),
  checkpoints: z.unknown(),
});
const createdSchema = z.object({ created: z.boolean(), checkpoint: checkpointSchema });

const MAX_CONCURRENT_VERIFICATIONS = 2;

/**
 * Ledger verification, signed checkpoints (C2SP tlog-checkpoint over the RFC 9162 Merkle tree
 * of the ledger), the public key, and inclusion and consistency proofs. None of these read
 * personal data: hashes and counts only.
 */
export function checkpointRoutes(deps: EvidenceApiDeps) {
  // A whole-ledger verification reads every event: a few at a time, or one token could keep
  // the disk and the CPU busy for everyone.
  let verifying = 0;
  return async (app: ApiInstance) => {
    app.get(
      '/ledger/verify',
      {
        config: { role: 'auditor' },
        schema: {
          summary: 'Verify the hash chain, whole or a seq range, and the ledger against every signed checkpoint',
          tags: ['ledger'],
          querystring: z
            .strictObject({ fromSeq: seqSchema.optional(), toSeq: seqSchema.optional() })
            .refine((q) => q.fromSeq === undefined || q.toSeq === undefined || q.toSeq >= q.fromSeq, {
              message: 'must not be below fromSeq',
              path: ['toSeq'],
            }),
          response: {
            200: ledgerVerifySchema.describe('the chain and checkpoint audit; ok false names the first broken seq'),
            ...errorResponses('unavailable'),
          },
        },
      },
      async (request, reply) => {
        const { fromSeq, toSeq } = request.query;
        if (verifying >= MAX_CONCURRENT_VERIFICATIONS) {
          reply.header('retry-after', '30');
          throw new ApiError('unavailable', 'verifications are already running; try again later');
        }
        verifying += 1;
        let audit;
        try {
          audit = await auditLedger(
            { events: (r) => deps.queries.events(r), checkpoints: deps.checkpoints, keys: trustedKeysOf(deps.checkpoints, deps.formerVerifierKeys) },
            { range: { ...(fromSeq === undefined ? {} : { fromSeq }), ...(toSeq === undefined ? {} : { toSeq }) } },
          );
        } finally {
          verifying -= 1;
        }
        deps.onLedgerAudited?.(audit);
        return ledgerVerifyView(audit, { fromSeq: fromSeq ?? 1, toSeq: toSeq ?? null });
      },
    );

    app.get(
      '/checkpoints/latest',
      {
        config: { role: 'auditor' },
        schema: {
          summary: 'The latest signed checkpoint',
          tags: ['checkpoints'],
          response: { 200: checkpointSchema.describe('the latest checkpoint'), ...errorResponses('not_found') },
        },
      },
      async () => {
        const cp = await deps.checkpoints.latest();
        if (!cp) throw new ApiError('not_found', 'no checkpoint has been signed yet');
        return checkpointView(cp);
      },
    );

    app.get(
      '/checkpoints',
      {
        config: { role: 'auditor' },
        schema: {
          summary: 'Signed checkpoints, oldest first, in pages (e.g. to pick two for a consistency check)',
          tags: ['checkpoints'],
          querystring: z.strictObject({
            afterTreeSize: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0).describe('only checkpoints over more events than this'),
            limit: z.coerce.number().int().min(1).max(500).default(100),
          }),
          response: {
            200: z
              .object({ checkpoints: z.array(checkpointSchema), nextAfterTreeSize: z.number().int().nullable().describe('pass as afterTreeSize for the next page; null on the last') })
              .describe('a page of checkpoints'),
          },
        },
      },
      async (request) => {
        const { afterTreeSize, limit } = request.query;
        const page = await deps.checkpoints.page({ treeSize: afterTreeSize, id: Number.MAX_SAFE_INTEGER }, limit + 1);
        const shown = page.slice(0, limit);
        return { checkpoints: shown.map(checkpointView), nextAfterTreeSize: page.length > limit ? shown[shown.length - 1]!.treeSize : null };
      },
    );

    app.post(
      '/checkpoints',
      {
        schema: {
          summary: 'Sign a checkpoint over the ledger now (admin)',
          tags: ['checkpoints'],
          response: {
            200: createdSchema.describe('the latest checkpoint already covers the ledger head (created false)'),
            201: createdSchema.describe('a checkpoint was signed'),
            ...errorResponses(CHECKPOINT_CONFLICT),
          },
        },
      },
      async (_request, reply) => {
        const r = await deps.checkpoints.create();
        if (!r.ok) {
          return reply.status(409).send({
            error: r.reason,
            message: r.reason === 'ledger_broken' ? `the ledger is broken at seq ${r.verify.brokenAt} (${r.verify.reason}); nothing was signed` : 'the ledger no longer holds the last checkpoint; nothing was signed',
          });
        }
        return reply.status(r.created ? 201 : 200).send({ created: r.created, checkpoint: checkpointView(r.checkpoint) });
      },
    );

    app.get(
      '/checkpoints/public-key',
      {
        config: { role: 'auditor' },
        schema: {
          summary: 'The checkpoint and bundle signing key',
          tags: ['checkpoints'],
          response: {
            200: z
              .object({ algorithm: z.literal('Ed25519'), origin: z.string(), verifierKey: z.string().describe('C2SP signed-note verifier key'), publicKey: z.string().describe('raw Ed25519 key, base64') })
              .describe('the signing key'),
          },
        },
      },
      async () => ({
        algorithm: 'Ed25519' as const,
        origin: deps.checkpoints.origin,
        verifierKey: deps.checkpoints.verifierKey,
        publicKey: deps.checkpoints.publicKey.toString('base64'),
      }),
    );

    app.get(
      '/checkpoints/consistency',
      {
        config: { role: 'auditor' },
        schema: {
          summary: 'RFC 9162 consistency proof between two tree sizes',
          tags: ['checkpoints'],
          querystring: z
            .strictObject({
              fromTreeSize: seqSchema.optional().describe('the older checkpoint’s tree size'),
              toTreeSize: seqSchema.optional().describe('the newer checkpoint’s tree size'),
              from: seqSchema.optional().describe('deprecated name of fromTreeSize (until the next release)'),
              to: seqSchema.optional().describe('deprecated name of toTreeSize (until the next release)'),
            })
            .transform((q) => ({ from: q.fromTreeSize ?? q.from, to: q.toTreeSize ?? q.to, deprecated: q.from !== undefined || q.to !== undefined }))
            .refine((q) => q.from !== undefined, { message: 'is required', path: ['fromTreeSize'] })
            .refine((q) => q.to !== undefined, { message: 'is required', path: ['toTreeSize'] })
            .refine((q) => q.to! >= q.from!, { message: 'must not be below fromTreeSize', path: ['toTreeSize'] }),
          response: {
            200: z
              .object({ fromTreeSize: z.number().int(), toTreeSize: z.number().int(), from: z.number().int(), to: z.number().int(), proof: z.array(z.string()) })
              .describe('RFC 9162 consistency proof (base64 hashes); from and to repeat the sizes under their deprecated names'),
            ...errorResponses('not_found'),
          },
        },
      },
      async (request, reply) => {
        const { from, to, deprecated } = request.query as { from: number; to: number; deprecated: boolean };
        if (deprecated) reply.header('deprecation', 'true').header('warning', '299 - "from and to are deprecated here: use fromTreeSize and toTreeSize"');
        const latest = await deps.checkpoints.latest();
        if (!latest || to > latest.treeSize) throw new ApiError('not_found', 'no signed checkpoint that large');
        return { fromTreeSize: from, toTreeSize: to, from, to, proof: await deps.checkpoints.consistency(from, to) };
      },
    );

    app.get(
      '/proofs/events/:seq',
      {
        config: { role: 'auditor' },
        schema: {
          summary: "An event's inclusion proof against a signed checkpoint",
          tags: ['checkpoints'],
          params: z.strictObject({ seq: seqSchema }),
          querystring: z.strictObject({ treeSize: seqSchema.optional().describe('a signed checkpoint; default: the latest covering the event') }),
          response: {
            200: inclusionProofSchema.extend({ checkpoint: checkpointSchema }).describe('the inclusion proof and the checkpoint it proves against'),
            ...errorResponses('not_found', CHECKPOINT_CONFLICT),
          },
        },
      },
      async (request, reply) => {
        const { seq } = request.params;
        const { treeSize } = request.query;
        let cp;
        if (treeSize !== undefined) {
          cp = await deps.checkpoints.bySize(treeSize);
          if (!cp) throw new ApiError('not_found', 'no signed checkpoint of that tree size');
        } else {
          const latest = await deps.checkpoints.latest();
          if (latest && latest.treeSize >= seq) cp = latest;
          else {
            const head = (await deps.queries.eventsBySeq([seq]))[0];
            if (!head) throw new ApiError('not_found', 'no such event');
            const r = await deps.checkpoints.covering(seq);
            if (!r.ok) return reply.status(409).send({ error: r.reason, message: 'no checkpoint can be signed over this ledger' });
            cp = r.checkpoint;
          }
        }
        if (seq > cp.treeSize) throw new ApiError('not_found', 'the event is not in that checkpoint');
        return { ...(await deps.checkpoints.inclusion(seq, cp.treeSize)), checkpoint: checkpointView(cp) };
      },
    );
  };
}
