import { z } from 'zod';
import { canonicalJson, hashEvent } from './chain.js';
import { openNote, parseCheckpointText, type Checkpoint, type InclusionProof, type NoteSigner, type NoteVerifier } from './checkpoint.js';
import { eventLeafHash, verifyInclusion } from './merkle.js';
import { EVENT_KINDS, type StoredEvent } from './types.js';

/*
 * An evidence bundle: a self-contained JSON file an auditor verifies offline with nothing but
 * the checkpoint public key (`consentline bundle verify`). It holds, per call, the events as
 * stored, the prompts played (id, language, version, audio SHA-256) and an RFC 9162 audit path
 * for every event against one signed checkpoint; and an Ed25519 signature, by the checkpoint
 * key, over "consentline-bundle-v1\n" ‖ JCS(bundle without `signature`). The format, for
 * independent verifiers: docs/evidence-bundle-format.md (tools/verify_bundle.py is one).
 */

export const BUNDLE_FORMAT = 'consentline.evidence-bundle/1';
const SIGNING_PREFIX = 'consentline-bundle-v1\n';

export interface PromptPlayed {
  readonly seq: number;
  readonly promptId: string | null;
  readonly lang: string | null;
  readonly version: string | null;
  readonly audioSha256: string | null;
  readonly playback: string | null;
}

export interface BundleCall {
  readonly callId: string;
  readonly events: StoredEvent[];
  readonly prompts: PromptPlayed[];
  readonly proofs: Array<{ seq: number; leafIndex: number; auditPath: string[] }>;
}

export interface EvidenceBundle {
  readonly format: typeof BUNDLE_FORMAT;
  readonly createdAt: string;
  readonly origin: string;
  /** Informative: verification uses the key the verifier brings, never this one. */
  readonly verifierKey: string;
  readonly checkpoint: { readonly note: string; readonly treeSize: number; readonly rootHash: string };
  readonly calls: BundleCall[];
  readonly signature: string;
}

/** The prompts a call's `prompt.played` events name, in order. */
export function promptsPlayed(events: readonly StoredEvent[]): PromptPlayed[] {
  const s = (v: unknown) => (typeof v === 'string' ? v : null);
  return events
    .filter((e) => e.kind === 'prompt.played')
    .map((e) => ({
      seq: e.seq,
      promptId: s(e.data.promptId),
      lang: s(e.data.lang),
      version: s(e.data.version),
      audioSha256: s(e.data.audioSha256),
      playback: s(e.data.playback),
    }));
}

function signingInput(unsigned: Omit<EvidenceBundle, 'signature'>): Buffer {
  return Buffer.from(SIGNING_PREFIX + canonicalJson(unsigned), 'utf8');
}

export interface BundleSource {
  /** A signed checkpoint whose tree holds at least `treeSize` events. */
  readonly checkpoint: Checkpoint;
  readonly prove: (seqs: readonly number[], treeSize: number) => Promise<InclusionProof[]>;
  readonly signer: NoteSigner;
}

/** Assembles and signs a bundle for calls whose events are all inside the checkpoint. */
export async function buildBundle(
  calls: ReadonlyArray<{ callId: string; events: StoredEvent[] }>,
  src: BundleSource,
  createdAt: string,
): Promise<EvidenceBundle> {
  const { checkpoint, signer } = src;
  const out: BundleCall[] = [];
  for (const c of calls) {
    const proved = await src.prove(
      c.events.map((e) => e.seq),
      checkpoint.treeSize,
    );
    const proofs = proved.map((p) => ({ seq: p.seq, leafIndex: p.leafIndex, auditPath: p.auditPath }));
    out.push({ callId: c.callId, events: c.events, prompts: promptsPlayed(c.events), proofs });
  }
  const unsigned: Omit<EvidenceBundle, 'signature'> = {
    format: BUNDLE_FORMAT,
    createdAt,
    origin: checkpoint.origin,
    verifierKey: signer.verifierKey,
    checkpoint: { note: checkpoint.note, treeSize: checkpoint.treeSize, rootHash: Buffer.from(checkpoint.rootHash, 'hex').toString('base64') },
    calls: out,
  };
  return { ...unsigned, signature: signer.sign(signingInput(unsigned)).toString('base64') };
}

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const b64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/);
const jsonObject = z.record(z.string(), z.json());

const BundleSchema = z.strictObject({
  format: z.literal(BUNDLE_FORMAT),
  createdAt: z.string(),
  origin: z.string(),
  verifierKey: z.string(),
  checkpoint: z.strictObject({ note: z.string(), treeSize: z.number().int().nonnegative(), rootHash: b64 }),
  calls: z.array(
    z.strictObject({
      callId: z.string(),
      events: z.array(
        z.strictObject({
          seq: z.number().int().positive(),
          callId: z.string().nullable(),
          at: z.string(),
          kind: z.enum(EVENT_KINDS),
          data: jsonObject,
          prevHash: hex64,
          hash: hex64,
        }),
      ),
      prompts: z.array(
        z.strictObject({
          seq: z.number().int(),
          promptId: z.string().nullable(),
          lang: z.string().nullable(),
          version: z.string().nullable(),
          audioSha256: z.string().nullable(),
          playback: z.string().nullable(),
        }),
      ),
      proofs: z.array(z.strictObject({ seq: z.number().int(), leafIndex: z.number().int(), auditPath: z.array(b64) })),
    }),
  ),
  signature: b64,
});

export type BundleVerification =
  | { readonly ok: true; readonly calls: number; readonly events: number; readonly treeSize: number; readonly origin: string }
  | { readonly ok: false; readonly problem: string };

/**
 * Verifies a bundle offline, stopping at the first problem: its shape; the checkpoint's
 * signature under `verifier`; every event's hash from its body and prev hash, and the link
 * between consecutive seqs; every event's audit path to the checkpoint's root; the prompt list
 * against the events; the bundle signature.
 */
export function verifyBundle(input: unknown, verifier: NoteVerifier): BundleVerification {
  const fail = (problem: string): BundleVerification => ({ ok: false, problem });
  const parsed = BundleSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return fail(`not an evidence bundle: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const bundle = parsed.data as EvidenceBundle;

  const opened = openNote(bundle.checkpoint.note, verifier);
  if (!opened.ok) {
    const why = { malformed: 'is malformed', no_signature_by_key: 'has no signature by the given key', bad_signature: 'signature does not verify' }[opened.reason];
    return fail(`checkpoint ${why}`);
  }
  const cp = parseCheckpointText(opened.text);
  if (!cp) return fail('checkpoint text is malformed');
  if (cp.treeSize !== bundle.checkpoint.treeSize || cp.rootHash.toString('base64') !== bundle.checkpoint.rootHash) {
    return fail('checkpoint tree size or root hash does not match the signed note');
  }

  let count = 0;
  for (const [ci, call] of bundle.calls.entries()) {
    const where = `call ${call.callId}`;
    if (call.proofs.length !== call.events.length) return fail(`${where}: ${call.events.length} events but ${call.proofs.length} proofs`);
    let prev: StoredEvent | null = null;
    for (const [i, e] of call.events.entries()) {
      const at = `${where}, event seq ${e.seq}`;
      if (e.callId !== call.callId) return fail(`${at}: belongs to call ${String(e.callId)}`);
      if (prev && e.seq <= prev.seq) return fail(`${at}: events out of order or duplicated`);
      let recomputed: string | null;
      try {
        recomputed = hashEvent(e.prevHash, e);
      } catch {
        recomputed = null;
      }
      if (recomputed !== e.hash) return fail(`${at}: hash does not match the event's content`);
      if (prev && prev.seq === e.seq - 1 && e.prevHash !== prev.hash) return fail(`${at}: does not link to seq ${prev.seq}`);
      const proof = call.proofs[i]!;
      if (proof.seq !== e.seq || proof.leafIndex !== e.seq - 1) return fail(`${at}: proof is for another event`);
      if (e.seq > cp.treeSize) return fail(`${at}: not covered by the checkpoint (tree size ${cp.treeSize})`);
      const path = proof.auditPath.map((h) => Buffer.from(h, 'base64'));
      if (path.some((h) => h.length !== 32) || !verifyInclusion(eventLeafHash(e.hash), e.seq - 1, cp.treeSize, path, cp.rootHash)) {
        return fail(`${at}: inclusion proof does not lead to the checkpoint root`);
      }
      prev = e;
      count += 1;
    }
    if (canonicalJson(promptsPlayed(call.events)) !== canonicalJson(call.prompts)) {
      return fail(`${where}: prompt list does not match its prompt.played events`);
    }
    if (bundle.calls.findIndex((c) => c.callId === call.callId) !== ci) return fail(`${where}: listed twice`);
  }

  const { signature, ...unsigned } = bundle;
  const sig = Buffer.from(signature, 'base64');
  if (!verifier.verify(signingInput(unsigned), sig)) return fail('bundle signature does not verify with the given key');
  return { ok: true, calls: bundle.calls.length, events: count, treeSize: cp.treeSize, origin: cp.origin };
}
