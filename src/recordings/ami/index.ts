export type * from './events.js';
export type { AmiConnector, AmiSession, AmiFields, ActionOutcome, ConnectOutcome } from './port.js';
export {
  createAmiWatcher,
  AMI_WATCHER_DEFAULTS,
  type AmiWatcher,
  type AmiWatcherConfig,
  type AmiWatcherDeps,
  type AmiWatcherState,
  type ActiveRecording,
  type GetVarOutcome,
  type MixMonitorOutcome,
} from './watcher.js';
export { createManagerConnector } from './manager-connector.js';
export {
  resolveSpoolPath,
  isSafeRecordingName,
  RECORDING_NAME_PATTERN,
  type SpoolPathResult,
  type SpoolPathRejection,
  type SpoolPathOptions,
} from './spool-path.js';
export { translateCel, CEL_EVENT_NAMES, type CelRecord, type CelEventName } from './cel.js';
