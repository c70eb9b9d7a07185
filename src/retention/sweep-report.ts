/** Lists in a report are capped; the counts are not. */
export const LIST_CAP = 200;

export interface LockedItem {
  readonly recordingId: string;
  readonly callId: string | null;
  readonly retainUntil: string | null;
  readonly detail: string;
}
export interface FailedItem {
  readonly recordingId: string;
  readonly callId: string | null;
  readonly detail: string;
  readonly attempts: number;
}
export interface HeldItem {
  readonly recordingId?: string;
  readonly callId: string | null;
}

/** What happened to recordings in one run (sweep or erasure). */
export interface RecordingsOutcome {
  due: number;
  deleted: number;
  /** Of `deleted`: the object was already gone (a resumed run). */
  alreadyAbsent: number;
  /** Marks left by an interrupted run, finished by this one. */
  resumed: number;
  /** Claimed by the recordings pipeline at the moment: next run. */
  busy: number;
  held: number;
  locked: number;
  failed: number;
  deletedIds: string[];
  heldItems: HeldItem[];
  lockedItems: LockedItem[];
  failedItems: FailedItem[];
}

export interface EvidenceOutcome {
  due: number;
  erased: number;
  held: number;
  heldCallIds: string[];
  /** Calls kept because the caller's marketing registry entry rests on their consent event (the proof of it). */
  consentKept: number;
  consentKeptCallIds: string[];
}

export type SweepReport =
  | {
      readonly status: 'done' | 'lease_lost';
      readonly runId: string;
      readonly dryRun: boolean;
      readonly startedAt: string;
      readonly finishedAt: string;
      readonly recordings: RecordingsOutcome;
      readonly evidence: EvidenceOutcome;
    }
  | { readonly status: 'busy'; readonly runId: string; readonly holder: string | null; readonly until: string | null };

/** A run that got the lease (or a dry run): what `retention_runs` keeps. */
export type FinishedSweep = Exclude<SweepReport, { readonly status: 'busy' }>;

export function emptyRecordingsOutcome(): RecordingsOutcome {
  return { due: 0, deleted: 0, alreadyAbsent: 0, resumed: 0, busy: 0, held: 0, locked: 0, failed: 0, deletedIds: [], heldItems: [], lockedItems: [], failedItems: [] };
}
