import type { Config } from '../config/schema.js';
import type { NoteSigner } from '../evidence/checkpoint.js';
import type { EvidenceStore } from '../evidence/store.js';
import type { RecordingEnvelope } from '../recordings/crypto/envelope.js';
import type { ObjectStore } from '../recordings/storage/port.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/log.js';
import { resolvePolicies } from './policy.js';
import type { RetentionRepo } from './repo.js';
import { RetentionService, type RetentionServiceDeps } from './service.js';

/**
 * The retention service from the configuration, on a repository of either engine
 * (`new SqliteRetentionRepo(db)`, `new PgRetentionRepo(pool)`). The caller owns the
 * repository's connection, the evidence store and the object store, and closes them.
 */
export function createRetentionService(
  config: Readonly<Config>,
  deps: {
    readonly repo: RetentionRepo;
    readonly evidence: Pick<EvidenceStore, 'append' | 'callEvents' | 'getCall'>;
    readonly objectStore: ObjectStore;
    readonly signer: NoteSigner;
    readonly pepper: string;
    readonly clock: Clock;
    readonly log: Logger;
    readonly envelope?: RecordingEnvelope | null;
    readonly hooks?: RetentionServiceDeps['hooks'];
  },
): RetentionService {
  const r = config.retention;
  const store = config.recordings.store;
  return new RetentionService({
    repo: deps.repo,
    evidence: deps.evidence,
    objectStore: deps.objectStore,
    ...(store.type === 's3' ? { bucket: store.bucket } : {}),
    signer: deps.signer,
    pepper: deps.pepper,
    controller: { name: config.controller.name, ...(config.controller.contact ? { contact: config.controller.contact } : {}) },
    clock: deps.clock,
    log: deps.log.child({ component: 'retention' }),
    policies: resolvePolicies(r, config.flows, config.recordings),
    instanceId: config.service.instanceId,
    options: {
      batchSize: r.batchSize,
      leaseSeconds: r.leaseSeconds,
      deleteAttempts: r.deleteAttempts,
      bypassGovernanceForErasure: r.objectLock.bypassGovernanceForErasure && store.type === 's3' && store.objectLock?.mode !== 'COMPLIANCE',
      // A bucket with Object Lock (the store's objectLock is set) takes per-object legal holds.
      mirrorHoldsToStore: store.type === 's3' && store.objectLock !== undefined,
    },
    ...(deps.envelope !== undefined ? { envelope: deps.envelope } : {}),
    ...(deps.hooks ? { hooks: deps.hooks } : {}),
  });
}
