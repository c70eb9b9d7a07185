import { systemClock, type Clock } from '../shared/clock.js';
import { checkpointText, signNote, type NoteSigner } from './checkpoint-note.js';
import { consistencyProof, inclusionPath, treeRoot, type SubtreeSource } from './merkle.js';
import type { VerifyResult } from './types.js';

// The signed-note format and the signing key live in checkpoint-note.ts; re-exported for the callers of old.
export * from './checkpoint-note.js';

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
  /**
   * Verifies the chain from seq `verifyFrom` to `size` and brings the cache up to `size` in
   * one pass over the events; the cache is left as it was when the chain is broken.
   */
  extendVerified(size: number, verifyFrom: number, onProgress?: (checked: number) => void): Promise<VerifyResult>;
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
  /** Told how many events of the chain were verified so far while a checkpoint is made. */
  readonly onVerifyProgress?: (checked: number) => void;
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
    // A checkpoint never signs a broken chain: the events since the last one are verified
    // in the same pass that hashes them into the tree.
    const verified = await tree.extendVerified(size, from, this.#d.onVerifyProgress);
    if (!verified.ok) return { ok: false, reason: 'ledger_broken', verify: verified };
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
