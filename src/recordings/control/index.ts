export type { ControlOutcome, ControlState, RecordingController, RecordingControlOptions, RecordingStopper, Requester } from './port.js';
export { RecordingControl, type RecordingControlDeps } from './recording-control.js';
export { followDialplanRequests, stateFor } from './dialplan-requests.js';
export { STATE_VAR } from './channel-actions.js';
export { pausedIntervals, intervalsInRecording, type PausedInterval } from './intervals.js';
