import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  type KeyObject,
} from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { consistencyProof, inclusionPath, treeRoot, type SubtreeSource } from './merkle.js';
import type { EventRange } from './store.js';
import type { VerifyResult } from './types.js';

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

/** A stored, signed checkpoint. */
export interface Checkpoint {
  readonly id: number;
  readonly treeSize: number;
  /** hex */
  readonly rootHash: string;
  readonly origin: string;
  /** hex of the key hash's four bytes */
  readonly keyId: string;
  /** The whole signed note. */
  readonly note: string;
  readonly createdAt: string;
}

/** The ledger as a Merkle tree: leaf i = the event with seq i+1. */
export interface LedgerTree {
  /** The number of events (the head's seq). */
  size(): Promise<number>;
  /** Brings any cache up to `size` leaves; throws when the stored ledger has a gap. */
  extend(size: number): Promise<void>;
  /** A subtree source for one operation. */
  source(): SubtreeSource;
}

export interface CheckpointRepo {
  latest(): Promise<Checkpoint | null>;
  bySize(treeSize: number): Promise<Checkpoint | null>;
  /** The smallest checkpoint covering at least `treeSize` leaves. */
  covering(treeSize: number): Promise<Checkpoint | null>;
  insert(cp: Omit<Checkpoint, 'id'>): Promise<Checkpoint>;
  /** Checkpoints after `after` in (tree size, id) order: for verifying the ledger against all of them. */
  page(after: { readonly treeSize: number; readonly id: number }, limit: number): Promise<Checkpoint[]>;
}

/** Makes checkpoint creation exclusive across the processes sharing one ledger. */
export interface CheckpointLock {
  run<T>(fn: () => Promise<T>): Promise<T>;
}

export type CreateCheckpointResult =
  | { readonly ok: true; readonly checkpoint: Checkpoint; readonly created: boolean }
  | { readonly ok: false; readonly reason: 'ledger_broken'; readonly verify: Extract<VerifyResult, { ok: false }> }
  | { readonly ok: false; readonly reason: 'inconsistent_with_previous'; readonly previous: Checkpoint };

export interface InclusionProof {
  readonly seq: number;
  readonly leafIndex: number;
  readonly treeSize: number;
  /** base64 hashes, leaf end first (RFC 9162 audit path). */
  readonly auditPath: string[];
}

export interface CheckpointServiceDeps {
  readonly tree: LedgerTree;
  readonly repo: CheckpointRepo;
  readonly signer: NoteSigner;
  /** Verifies a range of the hash chain: a checkpoint never signs a broken chain. */
  readonly verifyRange: (range: EventRange) => Promise<VerifyResult>;
  readonly clock?: Clock;
  /**
   * Held around each create() when several instances share the ledger (PostgreSQL): the
   * second signer then finds the first one's checkpoint instead of signing the same size.
   */
  readonly lock?: CheckpointLock;
}

export interface CreateOptions {
  /**
   * Return the latest checkpoint instead of signing when it is younger than this, whoever signed
   * it: the periodic timer of each of N instances on one ledger then signs about once per
   * interval in all, not N times.
   */
  readonly unlessSignedWithinMs?: number;
}

/** Creates, serves and proves against signed checkpoints. */
export class CheckpointService {
  readonly #d: CheckpointServiceDeps;
  readonly #clock: Clock;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(deps: CheckpointServiceDeps) {
    this.#d = deps;
    this.#clock = deps.clock ?? systemClock;
  }

  get origin(): string {
    return this.#d.signer.name;
  }

  get verifierKey(): string {
    return this.#d.signer.verifierKey;
  }

  get publicKey(): Buffer {
    return this.#d.signer.publicKey;
  }

  latest(): Promise<Checkpoint | null> {
    return this.#d.repo.latest();
  }

  /** The number of events in the ledger (the head's seq). */
  headSize(): Promise<number> {
    return this.#d.tree.size();
  }

  bySize(treeSize: number): Promise<Checkpoint | null> {
    return this.#d.repo.bySize(treeSize);
  }

  page(after: { readonly treeSize: number; readonly id: number }, limit: number): Promise<Checkpoint[]> {
    return this.#d.repo.page(after, limit);
  }

  /**
   * Signs a checkpoint over the whole ledger as it stands, after verifying the chain since
   * the last checkpoint and that the tree still holds the last checkpoint's root. One at a
   * time (across instances too, with a lock); when nothing was appended since the last one,
   * that one is returned.
   */
  create(opts: CreateOptions = {}): Promise<CreateCheckpointResult> {
    const { lock } = this.#d;
    const run = this.#queue.then(() => (lock ? lock.run(() => this.#create(opts)) : this.#create(opts)));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** A checkpoint covering at least `treeSize` leaves, signing a new one if needed. */
  async covering(treeSize: number): Promise<CreateCheckpointResult> {
    const have = await this.#d.repo.covering(treeSize);
    if (have) return { ok: true, checkpoint: have, created: false };
    return this.create();
  }

  async inclusion(seq: number, treeSize: number): Promise<InclusionProof> {
    return (await this.inclusions([seq], treeSize))[0]!;
  }

  /** Proofs for several events in one tree, sharing the subtree reads. */
  async inclusions(seqs: readonly number[], treeSize: number): Promise<InclusionProof[]> {
    const source = this.#d.tree.source();
    const out: InclusionProof[] = [];
    for (const seq of seqs) {
      const path = await inclusionPath(source, seq - 1, treeSize);
      out.push({ seq, leafIndex: seq - 1, treeSize, auditPath: path.map((h) => h.toString('base64')) });
    }
    return out;
  }

  async consistency(oldSize: number, newSize: number): Promise<string[]> {
    const proof = await consistencyProof(this.#d.tree.source(), oldSize, newSize);
    return proof.map((h) => h.toString('base64'));
  }

  async #create(opts: CreateOptions): Promise<CreateCheckpointResult> {
    const { tree, repo, signer } = this.#d;
    const size = await tree.size();
    const previous = await repo.latest();
    if (previous && previous.treeSize === size) return { ok: true, checkpoint: previous, created: false };
    if (previous && opts.unlessSignedWithinMs !== undefined && this.#clock.now() - Date.parse(previous.createdAt) < opts.unlessSignedWithinMs) {
      return { ok: true, checkpoint: previous, created: false };
    }
    // Fewer events than a signed checkpoint counted: events were removed from the end.
    if (previous && previous.treeSize > size) return { ok: false, reason: 'inconsistent_with_previous', previous };
    const from = previous ? previous.treeSize + 1 : 1;
    const verified = await this.#d.verifyRange({ fromSeq: from, toSeq: size });
    if (!verified.ok) return { ok: false, reason: 'ledger_broken', verify: verified };
    await tree.extend(size);
    const source = tree.source();
    if (previous) {
      const again = await treeRoot(source, previous.treeSize);
      if (again.toString('hex') !== previous.rootHash) return { ok: false, reason: 'inconsistent_with_previous', previous };
    }
    const root = await treeRoot(source, size);
    const note = signNote(checkpointText(signer.name, size, root), signer);
    const checkpoint = await repo.insert({
      treeSize: size,
      rootHash: root.toString('hex'),
      origin: signer.name,
      keyId: signer.keyHash.toString('hex'),
      note,
      createdAt: new Date(this.#clock.now()).toISOString(),
    });
    return { ok: true, checkpoint, created: true };
  }
}
