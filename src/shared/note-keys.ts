import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';

/*
 * Signed-note verifier keys (https://c2sp.org/signed-note): `<name>+<hex key hash[0:4]>+<base64(0x01 ‖
 * Ed25519 public key)>`, key hash = SHA-256(key name ‖ "\n" ‖ 0x01 ‖ public key), as Go's
 * golang.org/x/mod/sumdb/note reads them. Pure functions: the configuration checks keys with them,
 * the evidence checkpoints sign and open notes with them.
 */

const ED25519_ALG = 0x01;
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** A key name must be non-empty and hold no whitespace or '+'. */
export function isKeyName(name: string): boolean {
  return /^[^\s+]+$/u.test(name) && !name.includes('\u2014');
}

export function noteKeyHash(name: string, rawPublicKey: Uint8Array): Buffer {
  return createHash('sha256')
    .update(name, 'utf8')
    .update(Buffer.from([0x0a, ED25519_ALG]))
    .update(rawPublicKey)
    .digest()
    .subarray(0, 4);
}

export function verifierKeyString(name: string, rawPublicKey: Uint8Array): string {
  return `${name}+${noteKeyHash(name, rawPublicKey).toString('hex')}+${Buffer.concat([Buffer.from([ED25519_ALG]), rawPublicKey]).toString('base64')}`;
}

function publicKeyFromRaw(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: 'der', type: 'spki' });
}

export interface NoteVerifier {
  readonly name: string;
  readonly keyHash: Buffer;
  readonly publicKey: KeyObject;
  verify(message: Uint8Array, signature: Uint8Array): boolean;
}

/** Parses `name+hash+base64key`; null when it is not an Ed25519 verifier key whose hash matches. */
export function parseVerifierKey(text: string): NoteVerifier | null {
  // The key's base64 may itself hold '+': cut at the first two only, as Go's note package does.
  const t = text.trim();
  const a = t.indexOf('+');
  const b = a < 0 ? -1 : t.indexOf('+', a + 1);
  if (b < 0) return null;
  const [name, hashHex, keyB64] = [t.slice(0, a), t.slice(a + 1, b), t.slice(b + 1)];
  if (!isKeyName(name) || !/^[0-9a-f]{8}$/.test(hashHex) || !/^[A-Za-z0-9+/]+=*$/.test(keyB64)) return null;
  const key = Buffer.from(keyB64, 'base64');
  if (key.length !== 33 || key[0] !== ED25519_ALG) return null;
  const raw = key.subarray(1);
  const keyHash = noteKeyHash(name, raw);
  if (keyHash.toString('hex') !== hashHex) return null;
  let publicKey: KeyObject;
  try {
    publicKey = publicKeyFromRaw(raw);
  } catch {
    return null;
  }
  return { name, keyHash, publicKey, verify: (message, signature) => safeVerify(message, publicKey, signature) };
}

function safeVerify(message: Uint8Array, key: KeyObject, signature: Uint8Array): boolean {
  try {
    return signature.length === 64 && verify(null, message, key, signature);
  } catch {
    return false;
  }
}
