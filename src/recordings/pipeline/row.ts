/**
 * A recording's row and its states. The state is a union; a row known to be in state S is a
 * {@link RowIn}<S>, which is what each step of the pipeline takes and returns (steps/).
 */
import type { AudioProblemReason } from './audio-check.js';

export const RECORDING_STATES = ['captured', 'spooled', 'encrypted', 'uploaded', 'verified', 'done', 'deleted', 'failed'] as const;
export type RecordingState = (typeof RECORDING_STATES)[number];

/** States the upload queue counts: the file is closed and not yet safely stored. */
export const QUEUED_STATES: readonly RecordingState[] = ['spooled', 'encrypted', 'uploaded', 'verified'];

/** Why a recording is quarantined; the audio reasons (issue 19.4) come from audio-check.ts. */
export type QuarantineReason = 'no_consent' | 'unknown_call' | 'do_not_record' | 'id_mismatch' | AudioProblemReason;

/** One row of `recordings` (migration 0020), as stored. */
export interface RecordingRow {
  readonly id: string;
  readonly call_id: string | null;
  readonly source: 'spool' | 'ari';
  readonly source_name: string;
  readonly found_by: 'ami' | 'scan';
  readonly channel_uniqueid: string | null;
  readonly linkedid: string | null;
  readonly state: RecordingState;
  readonly disposition: 'keep' | 'quarantine' | null;
  readonly quarantine_reason: QuarantineReason | null;
  readonly started_at: string;
  readonly stopped_at: string | null;
  readonly stop_reason: string | null;
  readonly context_id: string;
  readonly plaintext_bytes: number | null;
  readonly plaintext_sha256: string | null;
  readonly ciphertext_bytes: number | null;
  readonly ciphertext_sha256: string | null;
  readonly key_id: string | null;
  readonly store: string | null;
  readonly object_key: string | null;
  readonly version_id: string | null;
  readonly retain_until: string | null;
  readonly attempts: number;
  readonly next_attempt_at: string | null;
  readonly last_error: string | null;
  readonly last_error_at: string | null;
  readonly claimed_by: string | null;
  readonly claimed_until: string | null;
  readonly delete_after: string | null;
  readonly created_at: string;
  readonly updated_at: string;
  /** The spool its file is on (migration 0021); null: any instance's (see {@link Claimant}). */
  readonly spool_id: string | null;
}

export type RecordingPatch = Partial<Omit<RecordingRow, 'id' | 'created_at'>>;

/** A row known to be in state `S`. */
export type RowIn<S extends RecordingState> = RecordingRow & { readonly state: S };

/** A row of any state, discriminated by `state`. */
export type AnyRow = { [S in RecordingState]: RowIn<S> }[RecordingState];

/** What a step returns: the row in its next state; `fresh` when this worker has just made its ciphertext or upload (no re-hash needed). */
export interface Moved<S extends RecordingState = RecordingState> {
  readonly row: RowIn<S>;
  readonly fresh: boolean;
}
