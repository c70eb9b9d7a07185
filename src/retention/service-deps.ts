import type { NoteSigner } from '../evidence/checkpoint.js';
import type { EvidenceStore } from '../evidence/store.js';
import type { RecordingEnvelope } from '../recordings/crypto/envelope.js';
import type { ObjectStore } from '../recordings/storage/port.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/log.js';
import type { Policies } from './policy.js';
import type { RetentionRepo } from './repo.js';
import type { SweepHooks } from './remove-recordings.js';

export interface RetentionOptions {
  readonly batchSize: number;
  readonly leaseSeconds: number;
  readonly deleteAttempts: number;
  readonly bypassGovernanceForErasure: boolean;
  /** How long an erasure request waits for a running sweep to let go of the lease. Default 15 s. */
  readonly erasureWaitMs?: number;
  /** Copy legal holds onto the objects' S3 legal hold (a bucket with Object Lock). Default false. */
  readonly mirrorHoldsToStore?: boolean;
}

export interface RetentionServiceDeps {
  readonly repo: RetentionRepo;
  readonly evidence: Pick<EvidenceStore, 'append' | 'callEvents' | 'getCall'>;
  readonly objectStore: ObjectStore;
  /** The S3 bucket, for the GOVERNANCE bypass of erasure requests. */
  readonly bucket?: string;
  readonly signer: NoteSigner;
  readonly pepper: string;
  readonly controller: { readonly name: string; readonly contact?: string | undefined };
  readonly clock: Clock;
  readonly log: Logger;
  readonly policies: Policies;
  readonly instanceId: string;
  readonly options: RetentionOptions;
  /** Decrypts recordings for access requests; null or absent when this host holds no decrypting key. */
  readonly envelope?: RecordingEnvelope | null;
  readonly hooks?: SweepHooks;
  /** Waits between delete attempts (tests pass a no-op). */
  readonly sleep?: (ms: number) => Promise<void>;
}
