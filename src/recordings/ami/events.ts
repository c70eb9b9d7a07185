import type { CelRecord } from './cel.js';

/**
 * Domain events of the AMI watcher. Ids: `uniqueid` names one channel, `linkedid` the whole call
 * (all channels of a call share the first channel's uniqueid as linkedid).
 *
 * File paths in these events are as Asterisk reported them: untrusted. Pass them through
 * `resolveSpoolPath` before touching the file system.
 */

export interface RecordingStarted {
  readonly channel: string;
  readonly uniqueid: string;
  readonly linkedid: string;
  /** CONSENT_ID seen on this channel, or else on another channel of the same call. */
  readonly consentId?: string;
  /** CONSENT_RECORDING as seen on the channel or call; anything but `yes` means a recording without consent. */
  readonly consentRecording?: string;
  /** MIXMONITOR_FILENAME as reported (it arrives just before MixMonitorStart). Untrusted. */
  readonly file?: string;
}

export interface RecordingFileKnown {
  readonly channel: string;
  readonly uniqueid: string;
  readonly linkedid: string;
  /** MIXMONITOR_FILENAME as reported. Untrusted. */
  readonly path: string;
}

export interface RecordingStopped {
  readonly channel: string;
  readonly uniqueid: string;
  readonly linkedid: string;
  readonly consentId?: string;
  readonly file?: string;
  /**
   * `stopped`: MixMonitorStop (StopMixMonitor). `hangup`: the channel hung up, which closes the file
   * without any MixMonitorStop.
   */
  readonly reason: 'stopped' | 'hangup';
  /** True when the end was inferred after an AMI reconnect (the channel was gone), not seen as an event. */
  readonly recovered?: boolean;
}

export interface ConsentVar {
  readonly channel: string;
  readonly uniqueid: string;
  readonly linkedid: string;
  /** Variable name without inheritance underscores (`__CONSENT_ID` → `CONSENT_ID`). */
  readonly name: string;
  readonly value: string;
}

/** Asterisk published a MixMonitor mute or unmute on a channel (the confirmation of MixMonitorMute). */
export interface MixMonitorMuted {
  readonly channel: string;
  readonly uniqueid: string;
  readonly linkedid: string;
  readonly muted: boolean;
  /** `read`, `write` or `both`, as the action asked. */
  readonly direction: string;
}

/** The dialplan asked to pause or resume the call's recording (UserEvent ConsentLineRecording). */
export interface RecordingControlRequest {
  readonly channel: string;
  readonly uniqueid: string;
  readonly linkedid: string;
  /** `pause`, `resume`, or anything else (refused). */
  readonly action: string;
  /** What the dialplan says raised it, e.g. `feature-code` or `ivr`. */
  readonly source: string;
  /** CONSENT_ID known for the call (its recording channel), if any. */
  readonly consentId?: string;
}

/** A party joining the call reports itself (UserEvent ConsentLineJoiner), before and after its notice. */
export interface JoinerReport {
  readonly channel: string;
  readonly uniqueid: string;
  readonly linkedid: string;
  /** `joining` or `heard`. */
  readonly stage: string;
  readonly via: string;
  /** MEMBERINTERFACE as the queue set it, or empty (then the channel name stands for it). */
  readonly interface: string;
  /** CONSENT_ID the dialplan passed, else the one known for the call. */
  readonly consentId?: string;
  readonly language: string;
  /** PLAYBACKSTATUS of the notice (`SUCCESS`, `FAILED`), `heard` only. */
  readonly status: string;
}

/** A channel entered or left a bridge (BridgeEnter / BridgeLeave). */
export interface BridgeMove {
  readonly channel: string;
  readonly uniqueid: string;
  readonly linkedid: string;
  readonly bridgeId: string;
  readonly entered: boolean;
}

export interface AmiWatcherEvents {
  joiner: JoinerReport;
  bridge: BridgeMove;
  mixMonitorMuted: MixMonitorMuted;
  recordingControl: RecordingControlRequest;
  /** A CEL record (cel_manager), reduced to what recording assurance keeps. */
  cel: CelRecord;
  recordingStarted: RecordingStarted;
  recordingFileKnown: RecordingFileKnown;
  recordingStopped: RecordingStopped;
  consentVar: ConsentVar;
  /** Logged in. `reconnect` is true after an earlier session was lost. */
  connected: { readonly reconnect: boolean };
  /** A logged-in session ended; the watcher reconnects with backoff. */
  disconnected: { readonly reason: string };
  /** Asterisk refused the user or secret. */
  authFailed: { readonly failures: number; readonly message: string };
  /** The watcher stopped retrying (only after repeated authentication failures). */
  gaveUp: { readonly reason: 'auth' };
}

export type AmiWatcherEventName = keyof AmiWatcherEvents;
