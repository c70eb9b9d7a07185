import { Cron } from 'croner';
import { z } from 'zod';

const days = (max: number) => z.number().int().min(0).max(max);

/**
 * A retention policy: how long after capture (the call's start, the recording's start) each
 * kind of data is kept. Every field optional in a flow's override; the global default fills in.
 */
export const RetentionPolicySchema = z.strictObject({
  /** Days a kept recording stays in the object store after it was captured. */
  recordingsDays: days(36500).optional(),
  /**
   * Days the personal data behind a call's evidence (the caller's number, salt, look-up key and
   * masked number) is kept. The chained events themselves are never deleted: see docs/retention.md.
   */
  evidenceDays: days(36500).optional(),
  /** Days a quarantined recording (no consent, unknown call, do-not-record) is kept. */
  quarantineDays: days(365).optional(),
});
export type RetentionPolicyOverride = z.infer<typeof RetentionPolicySchema>;

export const cron = z.string().superRefine((pattern, ctx) => {
  try {
    new Cron(pattern, { paused: true, timezone: 'UTC' }).stop();
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `not a cron expression: ${(err as Error).message}` });
  }
});

/**
 * `retention:` in consentline.yaml. Policies apply to existing items by their capture time:
 * due dates are computed at sweep time from the current policy, never stored.
 */
export const RetentionConfigSchema = z.strictObject({
  /** Whether the service runs the sweep on `schedule`. On-demand runs (CLI, API) work either way. */
  enabled: z.boolean().default(true),
  /** When the sweep runs (cron, UTC; five or six fields). Default: daily at 03:17. */
  schedule: cron.default('17 3 * * *'),
  /** The global policy; each flow may override any part with `flows[].retention`. */
  default: z
    .strictObject({
      recordingsDays: days(36500).default(90),
      evidenceDays: days(36500).default(2190),
      /** Default: `recordings.quarantineDays`. */
      quarantineDays: days(365).optional(),
    })
    .default({ recordingsDays: 90, evidenceDays: 2190 }),
  /** Recordings deleted per object-store batch (one DeleteObjects request). */
  batchSize: z.number().int().min(1).max(1000).default(500),
  /** The sweep's lease in the database; renewed while it runs, so a crashed sweep frees it after this. */
  leaseSeconds: z.number().int().min(5).max(3600).default(60),
  /** Attempts per object-store delete (failed batches and failed items) before it is reported as failed. */
  deleteAttempts: z.number().int().min(1).max(10).default(3),
  objectLock: z
    .strictObject({
      /**
       * Erasure requests may delete GOVERNANCE-locked recordings before their retain-until date
       * (S3 BypassGovernanceRetention; the credentials need s3:BypassGovernanceRetention). Never
       * used by the scheduled sweep; COMPLIANCE locks cannot be bypassed by anyone.
       */
      bypassGovernanceForErasure: z.boolean().default(false),
    })
    .default({ bypassGovernanceForErasure: false }),
});
export type RetentionConfig = z.infer<typeof RetentionConfigSchema>;

export const RETENTION_DEFAULTS: RetentionConfig = RetentionConfigSchema.parse({});
