import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  openNote,
  parseCheckpointText,
  parseVerifierKey,
  verifierKeyString,
  type Checkpoint,
  type CheckpointBody,
  type NoteVerifier,
} from './checkpoint.js';

/**
 * The keys a verification trusts: verifier keys (`name+hash+base64key`), and bare Ed25519
 * public keys (from a PEM file), which carry no name and are tried under the checkpoint's own.
 */
export interface TrustedKeys {
  readonly verifiers: readonly NoteVerifier[];
  readonly publicKeys: readonly Buffer[];
}

export const NO_KEYS: TrustedKeys = { verifiers: [], publicKeys: [] };

export function hasKeys(keys: TrustedKeys): boolean {
  return keys.verifiers.length + keys.publicKeys.length > 0;
}

/** The raw 32-byte Ed25519 public key in a PEM file (a private key or a public one). */
export function publicKeyFromPemFile(path: string): Buffer {
  const key = createPublicKey(readFileSync(path, 'utf8'));
  if (key.asymmetricKeyType !== 'ed25519') throw new TypeError(`${path} does not hold an Ed25519 key`);
  const der = key.export({ type: 'spki', format: 'der' });
  return Buffer.from(der.subarray(der.length - 32));
}

/** What can be wrong with a stored checkpoint itself (as opposed to the events it covers). */
export type CheckpointProblem = 'malformed_checkpoint' | 'unknown_key' | 'bad_signature' | 'row_mismatch';

export type OpenedCheckpoint =
  | { readonly ok: true; readonly body: CheckpointBody }
  | { readonly ok: false; readonly problem: CheckpointProblem };

/**
 * The signed content of a stored checkpoint: its note's signature checked against `keys`
 * (when there are none, the note is only parsed), and the row's columns against the note.
 */
export function openCheckpoint(cp: Checkpoint, keys: TrustedKeys): OpenedCheckpoint {
  let text: string | null = null;
  if (!hasKeys(keys)) {
    const split = cp.note.lastIndexOf('\n\n');
    if (split >= 0) text = cp.note.slice(0, split + 1);
  } else {
    const origin = cp.note.slice(0, Math.max(0, cp.note.indexOf('\n')));
    const named = keys.publicKeys.map((k) => parseVerifierKey(verifierKeyString(origin, k)));
    let problem: CheckpointProblem = 'unknown_key';
    for (const v of [...keys.verifiers, ...named]) {
      if (!v) continue;
      const r = openNote(cp.note, v);
      if (r.ok) {
        text = r.text;
        break;
      }
      if (r.reason === 'malformed') return { ok: false, problem: 'malformed_checkpoint' };
      if (r.reason === 'bad_signature') problem = 'bad_signature';
    }
    if (text === null) return { ok: false, problem };
  }
  const body = text === null ? null : parseCheckpointText(text);
  if (!body) return { ok: false, problem: 'malformed_checkpoint' };
  // The columns are what the service reads back: they must say what was signed.
  if (body.treeSize !== cp.treeSize || body.rootHash.toString('hex') !== cp.rootHash || body.origin !== cp.origin) {
    return { ok: false, problem: 'row_mismatch' };
  }
  return { ok: true, body };
}

/** Stored checkpoints in (tree size, id) order, a page at a time. */
export interface CheckpointPages {
  page(after: { readonly treeSize: number; readonly id: number }, limit: number): Promise<Checkpoint[]>;
}

/** Every stored checkpoint in tree-size order, read in pages: memory stays flat. */
export async function* checkpointsInOrder(src: CheckpointPages, pageSize = 500): AsyncGenerator<Checkpoint> {
  let after = { treeSize: -1, id: -1 };
  for (;;) {
    const page = await src.page(after, pageSize);
    yield* page;
    const last = page.at(-1);
    if (page.length < pageSize || !last) return;
    after = { treeSize: last.treeSize, id: last.id };
  }
}
