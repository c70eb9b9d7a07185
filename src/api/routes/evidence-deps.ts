import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AccessLog } from '../../evidence/access-log.js';
import type { CheckpointService, NoteSigner } from '../../evidence/checkpoint.js';
import type { LedgerAudit } from '../../evidence/ledger-audit.js';
import type { CallCursor, EvidenceQueries } from '../../evidence/queries.js';
import type { ReceiptController } from '../../evidence/receipt.js';
import type { CallSummary } from '../../evidence/types.js';
import type { Clock } from '../../shared/clock.js';
import { ApiError } from '../errors.js';

/** What the auditor and DPO routes need; the composition root builds it once. */
export interface EvidenceApiDeps {
  readonly queries: EvidenceQueries;
  readonly access: AccessLog;
  readonly checkpoints: CheckpointService;
  /** Signs evidence bundles: the checkpoint key. */
  readonly signer: NoteSigner;
  /** The look-up pepper: caller numbers are HMAC'd with it on the way in, never kept. */
  readonly pepper: string;
  /** For normalising national caller numbers to E.164. */
  readonly defaultCountryCode: string;
  readonly controller: ReceiptController;
  /** The effective configuration, served to admins with secrets removed. */
  readonly config: unknown;
  readonly clock: Clock;
  /** Verifier keys of former checkpoint signing keys (evidence.checkpointVerifierKeys), trusted besides `checkpoints`' own. */
  readonly formerVerifierKeys?: readonly string[];
  /** Hears each `GET /ledger/verify` result (the verification-failure metric). */
  readonly onLedgerAudited?: (audit: LedgerAudit) => void;
}

// ---- shared schemas -------------------------------------------------------------------

/** Text that can go into the ledger: no lone surrogates (JCS cannot encode them). */
const wellFormed = (s: string) => !/\p{Cs}/u.test(s);

export const reasonSchema = z
  .string()
  .min(1)
  .max(500)
  .refine(wellFormed, 'must be well-formed Unicode text')
  .optional()
  .describe('Why the data is read; written to the access log');

/** A reason that must be given (reads of the most sensitive data: recordings). */
export const requiredReasonSchema = z
  .string()
  .max(500)
  .refine((s) => s.trim() !== '', 'must not be blank')
  .refine(wellFormed, 'must be well-formed Unicode text')
  .describe('Why the recording is played (required); written to the access log');

export const callIdSchema = z.string().regex(/^[A-Za-z0-9._:@-]{1,128}$/, 'must be a call id');

export const seqSchema = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

// ---- cursors --------------------------------------------------------------------------

/** Opaque to clients: base64url of `[startedAt, callId]`. */
export function encodeCursor(c: CallCursor): string {
  return Buffer.from(JSON.stringify([c.startedAt, c.callId]), 'utf8').toString('base64url');
}

export function decodeCursor(s: string): CallCursor | null {
  if (!/^[A-Za-z0-9_-]{1,600}$/.test(s)) return null;
  try {
    const v: unknown = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    if (!Array.isArray(v) || v.length !== 2) return null;
    const [startedAt, callId] = v as unknown[];
    if (typeof startedAt !== 'string' || typeof callId !== 'string') return null;
    if (!/^\d{4}-\d{2}-\d{2}T[0-9:.]{8,12}Z$/.test(startedAt) || !/^[A-Za-z0-9._:@-]{1,128}$/.test(callId)) return null;
    return { startedAt, callId };
  } catch {
    return null;
  }
}

export const cursorSchema = z
  .string()
  .max(600)
  .transform((s, ctx) => {
    const c = decodeCursor(s);
    if (!c) {
      ctx.addIssue({ code: 'custom', message: 'is not a cursor this API gave out' });
      return z.NEVER;
    }
    return c;
  });

// ---- views and access -----------------------------------------------------------------

/** A call as the API shows it: the masked number only, never the look-up key. */
export type CallView = Omit<CallSummary, 'callerLookup'>;

export function callView(c: CallSummary): CallView {
  const { callerLookup: _drop, ...rest } = c;
  return rest;
}

/** Writes the access event before anything is served; no log, no data. */
export async function logAccess(
  deps: Pick<EvidenceApiDeps, 'access'>,
  request: FastifyRequest,
  what: {
    callIds: readonly string[];
    criteria?: readonly string[];
    seqs?: readonly number[];
    reason?: string | undefined;
    recordingIds?: readonly string[];
    range?: string;
  },
): Promise<void> {
  const p = request.principal;
  if (!p) throw new ApiError('unauthorized');
  try {
    await deps.access.record({
      who: { tokenId: p.id, tokenName: p.name, role: p.role },
      route: `${request.method} ${request.routeOptions.url ?? request.url}`,
      callIds: what.callIds,
      ...(what.criteria ? { criteria: what.criteria } : {}),
      ...(what.seqs ? { seqs: what.seqs } : {}),
      ...(what.recordingIds ? { recordingIds: what.recordingIds } : {}),
      ...(what.range === undefined ? {} : { range: what.range }),
      ...(what.reason === undefined ? {} : { reason: what.reason }),
    });
  } catch (err) {
    request.log.error({ err }, 'access log write failed; the read was refused');
    throw new ApiError('unavailable', 'the access could not be logged, so nothing was served');
  }
}
