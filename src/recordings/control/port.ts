/**
 * Recording control (issue 23): pause and resume a call's recording (PCI), and stop it for the
 * rest of the call. Other modules depend on this port only; `RecordingControl` implements it.
 */

/**
 * Who asked, pseudonymously: the API token (its id, role and a peppered pseudonym of the person
 * it was issued to, never the name), the dialplan (the asking channel's uniqueid and what raised
 * it), or the service itself (a joiner without a notice, the maximum pause).
 */
export type Requester =
  | { readonly source: 'api'; readonly tokenId: string; readonly role: string; readonly subjectRef: string }
  | { readonly source: 'dialplan'; readonly uniqueid: string; readonly via: string }
  | { readonly source: 'service'; readonly via: string };

export type ControlState = 'recording' | 'paused' | 'stopped';

export type ControlOutcome =
  /** The state the call's recording is in now; `changed` is false when it was already there. */
  | { readonly status: 'done'; readonly state: ControlState; readonly changed: boolean; readonly at: string }
  /** The ledger has no such call. */
  | { readonly status: 'unknown_call' }
  /** No recording of the call is running (never started, or ended). */
  | { readonly status: 'not_recording' }
  /** A resume asked of a recording stopped for the rest of the call. */
  | { readonly status: 'recording_stopped' }
  /** Nothing could be confirmed (AMI down, Asterisk silent): the caller must assume the worst. */
  | { readonly status: 'failed'; readonly detail: string };

/** Stops every recording of a call and keeps any later one from running, with the reason in the ledger. */
export interface RecordingStopper {
  /**
   * StopMixMonitor on every channel recording the call, and on any that starts later for it;
   * `recording.stopped` (restOfCall) in the ledger with `reason` (a short code, e.g.
   * `joiner_without_notice`). Idempotent: a second call changes nothing and writes nothing.
   */
  stopRecordingForRestOfCall(callId: string, reason: string, by?: Requester): Promise<ControlOutcome>;
}

/** Pause and resume (PCI) besides the stop. */
export interface RecordingController extends RecordingStopper {
  pause(callId: string, by: Requester, reason?: string): Promise<ControlOutcome>;
  resume(callId: string, by: Requester): Promise<ControlOutcome>;
}

export interface RecordingControlOptions {
  /** How long a MixMonitorMute may take to be answered and published (Asterisk's MixMonitorMute event). */
  readonly confirmTimeoutMs: number;
  /** A pause longer than this ends per `onMaxPause`. */
  readonly maxPauseMs: number;
  /** `resume`: the service resumes the recording; `stay_paused`: it stays paused, and the ledger says the limit passed. */
  readonly onMaxPause: 'resume' | 'stay_paused';
}
