import { z } from 'zod';

/**
 * Response schemas the evidence routes share. They are registered in `schema.response`, so
 * Fastify serialises through them: an object here lists every field the route sends (z.object
 * drops the others), or is loose (z.looseObject) where the body is a format of its own
 * (receipts, bundles, ledger audits) documented elsewhere.
 */

const nullableString = z.string().nullable();

/** A call as the API shows it (`callView`): the masked number only, never the look-up key. */
export const callViewSchema = z.object({
  callId: z.string(),
  startedAt: z.string(),
  flowId: z.string(),
  did: z.string(),
  callerMasked: nullableString,
  language: nullableString,
  legalBasis: z.string(),
  outcome: z.enum(['continued', 'objected', 'abandoned', 'failed']).nullable(),
  recording: z.enum(['yes', 'no']).nullable(),
  marketing: z.enum(['yes', 'no', 'none']).nullable(),
  endedAt: nullableString,
  server: nullableString,
});

/** A ledger event: JCS-hashed, chained by prevHash. */
export const eventSchema = z.object({
  seq: z.number().int(),
  callId: nullableString,
  at: z.string(),
  kind: z.string(),
  data: z.record(z.string(), z.unknown()),
  prevHash: z.string(),
  hash: z.string(),
});

/** A signed checkpoint (`checkpointView`): C2SP signed note over the RFC 9162 tree. */
export const checkpointSchema = z.object({
  origin: z.string(),
  treeSize: z.number().int(),
  rootHash: z.string().describe('base64'),
  keyId: z.string(),
  createdAt: z.string(),
  note: z.string().describe('the signed note, verifiable with golang.org/x/mod/sumdb/note'),
});

export const inclusionProofSchema = z.object({
  seq: z.number().int(),
  leafIndex: z.number().int(),
  treeSize: z.number().int(),
  auditPath: z.array(z.string()).describe('base64 hashes, leaf end first (RFC 9162 audit path)'),
});

export const callPageSchema = z.object({
  calls: z.array(callViewSchema),
  nextCursor: nullableString.describe('pass as `cursor` for the next page; null on the last page'),
});

/** An evidence bundle (docs/evidence-bundle-format.md), exactly as signed. */
export const bundleSchema = z.object({
  format: z.string(),
  createdAt: z.string(),
  origin: z.string(),
  verifierKey: z.string().describe('informative: a verifier brings its own key'),
  checkpoint: z.object({ note: z.string(), treeSize: z.number().int(), rootHash: z.string() }),
  calls: z.array(
    z.object({
      callId: z.string(),
      events: z.array(eventSchema),
      prompts: z.array(
        z.object({
          seq: z.number().int(),
          promptId: nullableString,
          lang: nullableString,
          version: nullableString,
          audioSha256: nullableString,
          playback: nullableString,
        }),
      ),
      proofs: z.array(z.object({ seq: z.number().int(), leafIndex: z.number().int(), auditPath: z.array(z.string()) })),
    }),
  ),
  signature: z.string(),
});

/** A recording as the API shows it (`recordingView`): ids, state, sizes and hashes; no personal data. */
export const recordingViewSchema = z.object({
  id: z.string(),
  callId: nullableString,
  state: z.string(),
  stored: z.boolean(),
  quarantined: z.boolean(),
  quarantineReason: nullableString,
  playable: z.boolean(),
  bytes: z.number().int().nullable().describe('plaintext (WAV) bytes: the Content-Length of a full playback'),
  plaintextSha256: nullableString,
  startedAt: z.string(),
  stoppedAt: nullableString,
  createdAt: z.string(),
  pausedIntervals: z
    .array(
      z.object({
        from: z.string(),
        to: nullableString.describe('null while the pause goes on'),
        endedBy: z.enum(['resumed', 'max_pause_resumed', 'stopped', 'recording_ended']).nullable(),
        fromSecond: z.number().nullable().describe('seconds from the recording start'),
        toSecond: z.number().nullable(),
      }),
    )
    .describe('where the recording was paused (PCI): from recording.paused to recording.resumed, the stop, or the recording end')
    .optional(),
});

/** The audio of a playback (a stream: Fastify sends it as is). */
export const wavBody = (description: string) => ({ description, content: { 'audio/wav': { schema: z.string().meta({ format: 'binary' }) } } });
