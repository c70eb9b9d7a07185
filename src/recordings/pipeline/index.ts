export { RecordingPipeline, type RecordingPipelineDeps, type RecordingPipelineOptions, type ScanReport, type StorageHealth } from './pipeline.js';
export {
  RecordingRepo,
  LostClaimError,
  RECORDING_STATES,
  QUEUED_STATES,
  type RecordingRepository,
  type RecordingRow,
  type RecordingState,
  type NewRecording,
  type ClaimHold,
  type Claimant,
  type RecordingPatch,
  type QuarantineReason,
} from './repo.js';
export { PgRecordingRepo } from './repo-pg.js';
export { SpoolSource, AriSource, type RecordingSource, type OpenOutcome, type NameCheck, type ListedFile } from './source.js';
export { doNotRecordLookup } from './do-not-record.js';
export { DIALPLAN_FILE_PATTERN, callIdFromFileName, quarantineObjectKey, dialplanFileName } from './names.js';
export { PipelineError, errorCode, type PipelineErrorCode } from './errors.js';
export {
  createRecordingsRuntime,
  openRecordingEnvelope,
  openRecordingStore,
  recordingKeyConfig,
  type RecordingsRuntime,
  type RecordingsTable,
  type OpenedStore,
} from './build.js';
