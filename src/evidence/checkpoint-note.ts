import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Config } from '../config/schema.js';

/*
 * Checkpoints in the C2SP formats (https://c2sp.org/tlog-checkpoint, https://c2sp.org/signed-note):
 *
 *   <origin>\n<tree size>\n<base64 root hash>\n
 *   \n
 *   — <key name> <base64(key hash[0:4] ‖ Ed25519 signature)>\n
 *
 * key hash = SHA-256(key name ‖ "\n" ‖ 0x01 ‖ public key); the verifier key is
 * `<name>+<hex key hash[0:4]>+<base64(0x01 ‖ public key)>`, as Go's golang.org/x/mod/sumdb/note
 * reads it, so any signed-note tool can check our checkpoints.
 */

import { isKeyName, noteKeyHash, verifierKeyString, type NoteVerifier } from '../shared/note-keys.js';

// The key format moved to shared/ so the configuration can check keys without importing evidence.
export { isKeyName, noteKeyHash, parseVerifierKey, verifierKeyString, type NoteVerifier } from '../shared/note-keys.js';

const EM_DASH = '\u2014';

/** A signing key with its note identity. */
export interface NoteSigner {
  readonly name: string;
  /** The 32-byte raw Ed25519 public key. */
  readonly publicKey: Buffer;
  /** The first four bytes of the key hash: identifies the key on signature lines. */
  readonly keyHash: Buffer;
  /** `name+hash+base64key`, the string a verifier is configured with. */
  readonly verifierKey: string;
  sign(message: Uint8Array): Buffer;
}

function rawPublicKeyOf(key: KeyObject): Buffer {
  const der = key.export({ type: 'spki', format: 'der' });
  return Buffer.from(der.subarray(der.length - 32));
}

export function signerFromPrivateKey(name: string, privateKey: KeyObject): NoteSigner {
  if (!isKeyName(name)) throw new TypeError(`checkpoint key name ${JSON.stringify(name)} must hold no spaces or '+'`);
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new TypeError('checkpoint key must be Ed25519');
  const publicKey = rawPublicKeyOf(createPublicKey(privateKey));
  return {
    name,
    publicKey,
    keyHash: noteKeyHash(name, publicKey),
    verifierKey: verifierKeyString(name, publicKey),
    sign: (message) => sign(null, message, privateKey),
  };
}

/**
 * The signing key's file and the ledger's name in checkpoints, as the configuration gives them
 * (`evidence.checkpointKeyFile`, `evidence.checkpointOrigin`) or by default; the service and the
 * CLI both sign with these.
 */
export function checkpointSigning(config: { readonly service: Pick<Config['service'], 'dataDir' | 'instanceId'>; readonly evidence: Pick<Config['evidence'], 'checkpointKeyFile' | 'checkpointOrigin'> }): { keyPath: string; origin: string } {
  return {
    keyPath: config.evidence.checkpointKeyFile ?? join(resolve(config.service.dataDir), 'secrets', 'checkpoint-ed25519.pem'),
    origin: config.evidence.checkpointOrigin ?? `consentline/${config.service.instanceId}`,
  };
}

/**
 * The checkpoint signing key: read from `path` (PKCS#8 PEM), or generated there on first use
 * with mode 0600. Losing it only means new checkpoints carry a new key; old ones stay valid
 * under the old public key.
 */
export function loadOrCreateSigner(path: string, name: string): { signer: NoteSigner; created: boolean } {
  let pem: string | null = null;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (pem !== null) return { signer: signerFromPrivateKey(name, createPrivateKey(pem)), created: false };
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('ed25519');
  writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return { signer: signerFromPrivateKey(name, privateKey), created: true };
}

/** Signs a note's text (which must end in a newline) with one signature line. */
export function signNote(text: string, signer: NoteSigner): string {
  if (!text.endsWith('\n')) throw new TypeError('note text must end with a newline');
  const sig = signer.sign(Buffer.from(text, 'utf8'));
  return `${text}\n${EM_DASH} ${signer.name} ${Buffer.concat([signer.keyHash, sig]).toString('base64')}\n`;
}

export type OpenNoteResult =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly reason: 'malformed' | 'no_signature_by_key' | 'bad_signature' };

/** Checks a signed note against one verifier; other keys' signature lines are ignored. */
export function openNote(note: string, verifier: NoteVerifier): OpenNoteResult {
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) return { ok: false, reason: 'malformed' };
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split('\n');
  let sawKey = false;
  for (const line of lines) {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/]+=*)$/u.exec(line);
    if (!m) return { ok: false, reason: 'malformed' };
    const sig = Buffer.from(m[2]!, 'base64');
    if (m[1] !== verifier.name || sig.length < 4 || !sig.subarray(0, 4).equals(verifier.keyHash)) continue;
    sawKey = true;
    if (verifier.verify(Buffer.from(text, 'utf8'), sig.subarray(4))) return { ok: true, text };
  }
  return { ok: false, reason: sawKey ? 'bad_signature' : 'no_signature_by_key' };
}

export function checkpointText(origin: string, treeSize: number, rootHash: Uint8Array): string {
  return `${origin}\n${treeSize}\n${Buffer.from(rootHash).toString('base64')}\n`;
}

export interface CheckpointBody {
  readonly origin: string;
  readonly treeSize: number;
  readonly rootHash: Buffer;
}

/** Parses a checkpoint's note text (extension lines after the root are allowed and ignored). */
export function parseCheckpointText(text: string): CheckpointBody | null {
  const lines = text.split('\n');
  if (lines.length < 4 || lines[lines.length - 1] !== '') return null;
  const [origin, size, root] = lines as [string, string, string];
  if (!origin || !/^(0|[1-9]\d{0,15})$/.test(size) || !Number.isSafeInteger(Number(size))) return null;
  if (!/^[A-Za-z0-9+/]{43}=$/.test(root)) return null;
  return { origin, treeSize: Number(size), rootHash: Buffer.from(root, 'base64') };
}
