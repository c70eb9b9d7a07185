import type { Config } from '../config/schema.js';
import type { SqliteDatabase } from '../db/sqlite.js';
import type { NoteSigner } from '../evidence/checkpoint.js';
import type { EvidenceStore } from '../evidence/store.js';
import type { RecordingEnvelope } from '../recordings/crypto/envelope.js';
import type { ObjectStore } from '../recordings/storage/port.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/log.js';
import { resolvePolicies } from './policy.js';
import type { RetentionRepo } from './repo.js';
import { SqliteRetentionRepo } from './repo-sqlite.js';
import { RetentionService, type RetentionServiceDeps } from './service.js';

/**
 * Where retention keeps its tables: a repository on either engine (`new PgRetentionRepo(pool)`,
 * `new SqliteRetentionRepo(db)`), or a connection to the service's SQLite file.
 */
export type RetentionStorage = { readonly repo: RetentionRepo } | { readonly db: SqliteDatabase };

/**
 * The retention service from the configuration. The caller owns the repository's connection
 * (or `db`), the evidence store and the object store, and closes them.
 */
export function createRetentionService(
  config: Readonly<Config>,
  deps: RetentionStorage & {
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
    repo: 'repo' in deps ? deps.repo : new SqliteRetentionRepo(deps.db),
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
    },
    ...(deps.envelope !== undefined ? { envelope: deps.envelope } : {}),
    ...(deps.hooks ? { hooks: deps.hooks } : {}),
  });
}
