import { z } from 'zod';
import { cron } from './retention-schema.js';

/**
 * `assurance:` in consentline.yaml: recording assurance (docs/auditor-guide.md, "Recording
 * assurance"). Asterisk's CEL records are collected over the recordings AMI link whenever it runs;
 * this section says when the reconciliation runs on its own and what it allows for.
 */
export const AssuranceConfigSchema = z.strictObject({
  /** Whether the service runs the reconciliation on `schedule`. On-demand runs (CLI, API) work either way. */
  enabled: z.boolean().default(true),
  /** When it runs (cron, UTC). Default: daily at 04:37. */
  schedule: cron.default('37 4 * * *'),
  /** Each scheduled run covers this many hours, ending `settleMinutes` before it starts. */
  windowHours: z.number().int().min(1).max(744).default(24),
  /** Calls and recordings younger than this are left to the next run (calls in progress, uploads under way). */
  settleMinutes: z.number().int().min(0).max(1440).default(120),
  /** A recording still in the pipeline (not stored, not given up) this long after it was found is a finding. */
  stuckAfterMinutes: z.number().int().min(5).max(10_080).default(60),
  /** Days Asterisk's CEL records are kept (at least one window plus settle time; ids only, no caller data). */
  asteriskRecordDays: z.number().int().min(2).max(3660).default(35),
});
export type AssuranceConfig = z.infer<typeof AssuranceConfigSchema>;
