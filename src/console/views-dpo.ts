/** The API's answers the DPO pages read: the retention module's own views, as the routes (api/routes holds, retention, erasures) send them. */
import type { ErasureSummary } from '../retention/erasure-view.js';
import type { HoldView } from '../retention/holds.js';
import type { FinishedSweep } from '../retention/sweep-report.js';

/** A hold with its four-eyes release, as GET /holds answers. */
export type HoldFullView = HoldView;

export interface PolicyView {
  readonly recordingsDays: number;
  readonly evidenceDays: number;
  readonly quarantineDays: number;
}

export interface PoliciesView {
  readonly default: PolicyView;
  readonly flows: Record<string, PolicyView>;
}

/** A finished run, as GET /retention/sweeps lists it. */
export type SweepView = FinishedSweep;

export type ErasureSummaryView = ErasureSummary;

export interface ErasureDetailView {
  readonly erasure: ErasureSummaryView;
  readonly certificate: {
    readonly requestId: string;
    readonly issuedAt: string;
    readonly notErased: {
      readonly locked: ReadonlyArray<{ readonly recordingId: string; readonly retainUntil: string | null; readonly detail: string }>;
      readonly pending: ReadonlyArray<{ readonly recordingId: string; readonly detail: string }>;
    };
    readonly ledger: { readonly seq: number; readonly hash: string };
  } | null;
  readonly heldCalls: ReadonlyArray<{ readonly callId: string; readonly holdIds: readonly string[] }>;
}

export interface WithdrawalView {
  readonly seq: number;
  readonly at: string;
  readonly consent: 'marketing' | 'recording';
  readonly recordings?: { readonly erasureRequestId: string | null; readonly toErase: readonly string[]; readonly objection: readonly string[]; readonly heldCalls: readonly string[] };
}
