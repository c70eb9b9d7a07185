import type { Policies } from './policy.js';
import type { FinishedSweep } from './sweep-report.js';

export type HoldScope = 'call' | 'caller' | 'flow';

/** One row of `legal_holds` (migration 0030). */
export interface HoldRow {
  readonly id: string;
  readonly scope: HoldScope;
  readonly target: string;
  readonly reason: string;
  readonly set_by: string;
  readonly set_by_name: string;
  readonly set_at: string;
  readonly release_requested_by: string | null;
  readonly release_requested_by_name: string | null;
  readonly release_requested_at: string | null;
  /** The requester's person (migration 0045); null for requests made before. */
  readonly release_requested_subject?: string | null;
  readonly release_reason: string | null;
  readonly released_by: string | null;
  readonly released_by_name: string | null;
  readonly released_at: string | null;
}

export type DeletionReason = 'retention' | 'quarantine' | 'erasure';
export type DeletionState = 'deleting' | 'deleted' | 'locked' | 'failed' | 'pending';

/** A recording the sweep (or an erasure) may delete, with what decides it. */
export interface Candidate {
  readonly id: string;
  readonly call_id: string | null;
  readonly object_key: string;
  readonly version_id: string | null;
  readonly retain_until: string | null;
  readonly started_at: string;
  readonly disposition: 'keep' | 'quarantine' | null;
  readonly flow_id: string | null;
  readonly mark_state: DeletionState | null;
  readonly mark_reason: DeletionReason | null;
  readonly held: 0 | 1;
  readonly claimed_until: string | null;
}

/** A recording of a call, as erasure and access requests read it. */
export interface CallRecording {
  readonly id: string;
  readonly call_id: string;
  readonly state: string;
  readonly object_key: string | null;
  readonly version_id: string | null;
  readonly retain_until: string | null;
  readonly started_at: string;
  readonly stopped_at: string | null;
  readonly disposition: 'keep' | 'quarantine' | null;
  readonly claimed_until: string | null;
  readonly plaintext_bytes: number | null;
  readonly plaintext_sha256: string | null;
  readonly context_id: string;
  readonly store: string | null;
}

export interface EvidenceCandidate {
  readonly call_id: string;
  readonly flow_id: string;
  readonly started_at: string;
  readonly held: 0 | 1;
  /** 1 when the caller's entry in the marketing registry rests on this call's consent event. */
  readonly backs_consent: 0 | 1;
}

/** A call of one caller, as erasure and access requests find it. */
export interface CallerCall {
  readonly call_id: string;
  readonly flow_id: string | null;
  readonly started_at: string | null;
  readonly held: 0 | 1;
}

export type NewHold = Pick<HoldRow, 'id' | 'scope' | 'target' | 'reason' | 'set_by' | 'set_by_name' | 'set_at'>;
export type NotDeleted = { readonly id: string; readonly state: 'locked' | 'failed' | 'pending'; readonly detail: string | null; readonly retainUntil?: string | null };
export type PendingErasure = { readonly id: string; readonly call_id: string; readonly object_key: string | null; readonly version_id: string | null };
/** A token (`id`, `name`) and the person it was issued to (`subject`; absent: the token is its own person). */
export type Person = { readonly id: string; readonly name: string; readonly subject?: string };

/** Named leases (`retention_leases`): one holder at a time, across instances. */
export interface LeaseStore {
  /** Takes the lease when it is free, expired, or already ours; one atomic statement. */
  acquireLease(name: string, holder: string, now: number, ttlMs: number): Promise<boolean>;
  /** Extends the lease only while `holder` still holds it unexpired. */
  renewLease(name: string, holder: string, now: number, ttlMs: number): Promise<boolean>;
  releaseLease(name: string, holder: string): Promise<void>;
  leaseHolder(name: string): Promise<{ holder: string; expires_at: number } | null>;
}

/** Recordings due for deletion and the marks (`retention_deletions`) that make deleting them resumable. */
export interface DeletionStore {
  /** Marks left `deleting` whose recording someone else (the pipeline's quarantine deletion) has since deleted. */
  settleForeignDeletions(now: number): Promise<number>;
  /** Marks left `deleting` by a run that did not finish. */
  unfinished(limit: number): Promise<Candidate[]>;
  /**
   * A page (by id, after `after`) of recordings due for deletion at `now` under `policies`
   * (kept ones by recordingsDays, quarantined ones by quarantineDays, both from the
   * recording's capture time), plus those an erasure request left locked, failed or pending.
   * Held rows come back with `held = 1`, to be reported.
   */
  dueRecordings(policies: Policies, now: number, after: string, limit: number): Promise<Candidate[]>;
  /** Every recording of these calls, for an erasure or an access request. */
  recordingsOfCalls(callIds: readonly string[]): Promise<CallRecording[]>;
  /**
   * Marks rows `deleting` and claims them in the pipeline's table (so its own quarantine
   * deletion leaves them alone), atomically. Returns the ids marked: a row another worker holds
   * a live claim on, or is marking at this moment, is skipped.
   */
  mark(items: readonly Candidate[], reason: (c: Candidate) => DeletionReason, holder: string, runId: string, now: number, claimUntil: number): Promise<Set<string>>;
  /** The object is gone (deleted now, or found absent): the recording row is `deleted`. */
  finishDeleted(ids: readonly string[], now: number): Promise<void>;
  /** Not deleted (locked, failed, or now held): kept for a later run, the claim let go. */
  finishNotDeleted(items: readonly NotDeleted[], now: number): Promise<void>;
  /** Drops a sweep's mark entirely (an item found held on resume, not part of an erasure). */
  unmark(ids: readonly string[]): Promise<void>;
  /** Records that an erasure request wants these recordings gone once they can be (stored, unlocked). */
  markPendingErasure(items: readonly PendingErasure[], runId: string, detail: string, now: number): Promise<void>;
  deletionState(id: string): Promise<{ state: DeletionState; reason: DeletionReason; attempts: number } | null>;
  /** Whether the ledger already says this recording was deleted (a resumed item must not say it twice). */
  hasDeletionEvent(callId: string | null, recordingId: string): Promise<boolean>;
}

/** The personal data behind the chain (subjects, the projection's caller columns). */
export interface SubjectStore {
  /** Calls past their evidence retention whose caller data is still there, a page by call id. */
  dueEvidence(policies: Policies, now: number, after: string, limit: number): Promise<EvidenceCandidate[]>;
  hasEvidenceErasureEvent(callId: string, kind: 'retention.deleted' | 'erasure.done'): Promise<boolean>;
  /**
   * Erases the personal data of these calls, atomically: subject rows (number, salt, look-up
   * key, mask) and the projection's look-up key and masked number. The chained events stay and
   * keep verifying. Returns how many subject rows went.
   */
  eraseCallSubjects(callIds: readonly string[]): Promise<number>;
  /** A caller's calls by look-up key, from the projection and from the subjects table. */
  callsOfCaller(lookupKey: string): Promise<CallerCall[]>;
}

/** Legal holds (`legal_holds`) with their four-eyes release. */
export interface HoldStore {
  insertHold(h: NewHold): Promise<void>;
  hold(id: string): Promise<HoldRow | null>;
  holds(opts?: { active?: boolean; limit?: number }): Promise<HoldRow[]>;
  /** First half of a release. False when the hold is not active or a request is already pending. */
  requestRelease(id: string, by: Person, reason: string | null, now: string): Promise<boolean>;
  /** Second half: only by a token of another person than the requester; false otherwise or when already released. */
  approveRelease(id: string, by: Person, now: string): Promise<boolean>;
  /** The calls a hold covers now (for the ledger event, capped). */
  callsCoveredBy(scope: HoldScope, target: string, limit?: number): Promise<string[]>;
  /** Active holds covering one call (for reports). */
  holdsOnCall(callId: string): Promise<string[]>;
  /**
   * Stored S3 recordings whose object's legal hold differs from what the active holds say
   * (`held`: what it should be), a page by id after `after`.
   */
  holdMirrorDue(after: string, limit: number): Promise<HoldMirrorItem[]>;
  /** The object's legal hold was set to `on`. */
  holdMirrored(id: string, on: boolean): Promise<void>;
}

export interface HoldMirrorItem {
  readonly id: string;
  readonly object_key: string;
  readonly version_id: string | null;
  readonly held: 0 | 1;
}

/** One row of `erasure_requests` (migration 0030); `certificate` is the signed JSON once done. */
export interface ErasureRow {
  readonly id: string;
  readonly requested_by: string;
  readonly requested_at: string;
  readonly done_at: string | null;
  readonly certificate: string | null;
}

/** Erasure requests (`erasure_requests`) and their certificates. */
export interface ErasureStore {
  insertErasure(id: string, by: string, at: string): Promise<void>;
  finishErasure(id: string, at: string, certificate: string): Promise<void>;
  erasureCertificate(id: string): Promise<string | null>;
  erasure(id: string): Promise<ErasureRow | null>;
  /** The newest requests first. */
  erasures(limit: number): Promise<ErasureRow[]>;
}

/** The sweep's finished reports (`retention_runs`, migration 0055). */
export interface SweepRunStore {
  saveSweep(report: FinishedSweep): Promise<void>;
  /** The newest runs first. */
  sweeps(limit: number): Promise<FinishedSweep[]>;
}

/**
 * Retention's tables beside the ledger's projections and the recordings pipeline's table, on
 * the evidence database: {@link SqliteRetentionRepo} (src/retention/repo-sqlite.ts) or
 * {@link PgRetentionRepo} (src/retention/repo-pg.ts). Every write is one statement or one
 * transaction, so a crash never leaves half of one.
 */
export interface RetentionRepo extends LeaseStore, DeletionStore, SubjectStore, HoldStore, ErasureStore, SweepRunStore {}
