import type { EvidenceStore } from '../../../evidence/store.js';
import type { Clock } from '../../../shared/clock.js';
import type { Logger } from '../../../shared/log.js';
import type { Metrics } from '../../../shared/metrics.js';
import type { RecordingEnvelope } from '../../crypto/envelope.js';
import type { ObjectStore } from '../../storage/port.js';
import type { PipelineSettings } from '../options.js';
import type { RecordingLedger } from '../recording-ledger.js';
import type { RowWriter } from '../row-writer.js';
import type { RecordingSource } from '../source.js';
import type { StorageHealthTracker } from '../storage-health.js';
import type { WorkFiles } from '../work-files.js';

/**
 * What the steps act through. Each step takes the few ports it needs (a `Pick` of these), so a
 * test can run one step with fakes.
 */
export interface StepPorts {
  readonly settings: Pick<PipelineSettings, 'quarantineDays' | 'verify' | 'storeInfo' | 'retainDays' | 'maxFileBytes'>;
  /** The step's row, under its claim. */
  readonly rows: Pick<RowWriter, 'move' | 'patch'>;
  readonly ledger: Pick<RecordingLedger, 'write' | 'stopped'>;
  readonly store: ObjectStore;
  readonly source: RecordingSource;
  readonly envelope: Pick<RecordingEnvelope, 'encryptOpenFile'>;
  readonly files: WorkFiles;
  readonly health: Pick<StorageHealthTracker, 'up'>;
  readonly evidence: Pick<EvidenceStore, 'getCall'>;
  readonly isDoNotRecord?: ((lookupKey: string) => boolean) | undefined;
  readonly log: Logger;
  readonly metrics?: Metrics | undefined;
  readonly clock: Clock;
}
