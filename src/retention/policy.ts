import type { RecordingsConfig } from '../config/recordings-schema.js';
import type { RetentionConfig, RetentionPolicyOverride } from '../config/retention-schema.js';

export const DAY_MS = 86_400_000;

/** A flow's effective policy, in days after capture. */
export interface RetentionPolicy {
  readonly recordingsDays: number;
  readonly evidenceDays: number;
  readonly quarantineDays: number;
}

export interface Policies {
  readonly default: RetentionPolicy;
  readonly flows: ReadonlyMap<string, RetentionPolicy>;
}

/** The policies in force: the global default, and each flow's override on top of it. */
export function resolvePolicies(
  retention: Pick<RetentionConfig, 'default'>,
  flows: ReadonlyArray<{ readonly id: string; readonly retention?: RetentionPolicyOverride | undefined }>,
  recordings: Pick<RecordingsConfig, 'quarantineDays'>,
): Policies {
  const base: RetentionPolicy = {
    recordingsDays: retention.default.recordingsDays,
    evidenceDays: retention.default.evidenceDays,
    quarantineDays: retention.default.quarantineDays ?? recordings.quarantineDays,
  };
  const out = new Map<string, RetentionPolicy>();
  for (const f of flows) {
    out.set(f.id, {
      recordingsDays: f.retention?.recordingsDays ?? base.recordingsDays,
      evidenceDays: f.retention?.evidenceDays ?? base.evidenceDays,
      quarantineDays: f.retention?.quarantineDays ?? base.quarantineDays,
    });
  }
  return { default: base, flows: out };
}

export function policyFor(policies: Policies, flowId: string | null): RetentionPolicy {
  return (flowId === null ? undefined : policies.flows.get(flowId)) ?? policies.default;
}

export type RetentionKind = keyof RetentionPolicy;

/**
 * The latest capture time that is due at `now`: an item captured at `t` is due when
 * `now >= t + days`, i.e. `t <= now - days`. One millisecond before that it is kept.
 */
export function cutoff(now: number, days: number): string {
  return new Date(now - days * DAY_MS).toISOString();
}

export function dueAt(capturedAt: string, days: number): string {
  return new Date(Date.parse(capturedAt) + days * DAY_MS).toISOString();
}

/**
 * Per-flow cut-offs for one kind, for a SQL filter: `(flow = ? AND t <= ?) OR …`, and the
 * default cut-off for flows the configuration no longer names.
 */
export function cutoffs(policies: Policies, kind: RetentionKind, now: number): { flows: [string, string][]; fallback: string } {
  return {
    flows: [...policies.flows].map(([id, p]) => [id, cutoff(now, p[kind])]),
    fallback: cutoff(now, policies.default[kind]),
  };
}
