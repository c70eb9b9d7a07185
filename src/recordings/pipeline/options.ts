import type { EvidenceStore } from '../../evidence/store.js';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/log.js';
import type { Metrics } from '../../shared/metrics.js';
import type { AmiWatcher } from '../ami/watcher.js';
import type { RecordingEnvelope } from '../crypto/envelope.js';
import type { ObjectStore } from '../storage/port.js';
import type { RecordingRepository } from './repo.js';
import type { RecordingSource } from './source.js';

export interface RecordingPipelineOptions {
  /** Names this instance's claims; claims it finds from an earlier run of itself are stale. */
  readonly instanceId: string;
  /**
   * The spool and work directories this instance sees (`recordings.spoolId`; default
   * `instanceId`): its rows are inserted under it, and it works only on rows of it (or of none).
   * Instances sharing those directories (shared storage) share one spoolId and each other's rows.
   */
  readonly spoolId?: string;
  readonly capture: 'dialplan' | 'ami';
  readonly quarantineDays: number;
  readonly verify: 'read-back' | 'head';
  /** How the ledger names the store: `local`, or the bucket and region. */
  readonly storeInfo: { readonly store: 'local' | 's3'; readonly bucket?: string; readonly region?: string | null };
  /** Object Lock retention for kept recordings (S3 with objectLock only). */
  readonly retainDays?: number | null;
  readonly concurrency?: number;
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly pollMs?: number;
  readonly scanIntervalMs?: number;
  readonly settleMs?: number;
  readonly leaseMs?: number;
  /** A closed file that stays missing this many attempts is given up (`failed`). Default 10. */
  readonly maxMissingAttempts?: number;
  /** A recording file larger than this is quarantined as `too_large` (`recordings.maxFileMB`). Default 256 MiB. */
  readonly maxFileBytes?: number;
}

export interface RecordingPipelineDeps {
  /** The `recordings` table: `RecordingRepo` on SQLite, `PgRecordingRepo` on PostgreSQL. */
  readonly repo: RecordingRepository;
  readonly evidence: Pick<EvidenceStore, 'append' | 'getCall'>;
  readonly store: ObjectStore;
  readonly envelope: Pick<RecordingEnvelope, 'encryptOpenFile' | 'keyId'>;
  readonly source: RecordingSource;
  /** Where ciphertext (and ARI-fetched plaintext) waits for upload: under dataDir, 0700. */
  readonly workDir: string;
  /** Subscribed to, not owned: the composition root starts and stops it. */
  readonly watcher?: AmiWatcher | null;
  readonly log: Logger;
  readonly clock?: Clock;
  readonly metrics?: Metrics;
  readonly isDoNotRecord?: (lookupKey: string) => boolean;
}

/** The options with their defaults. */
export type PipelineSettings = Required<Omit<RecordingPipelineOptions, 'retainDays' | 'storeInfo' | 'spoolId'>> &
  Pick<RecordingPipelineOptions, 'retainDays' | 'storeInfo'>;

export function withDefaults(options: RecordingPipelineOptions): PipelineSettings {
  return Object.freeze({
    concurrency: 2,
    initialBackoffMs: 2_000,
    maxBackoffMs: 300_000,
    pollMs: 1_000,
    scanIntervalMs: 60_000,
    settleMs: 120_000,
    leaseMs: 60_000,
    maxMissingAttempts: 10,
    maxFileBytes: 256 * 2 ** 20,
    retainDays: null,
    ...options,
  });
}

export const iso = (ms: number): string => new Date(ms).toISOString();
export const DAY_MS = 86_400_000;
