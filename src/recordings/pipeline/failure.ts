import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/log.js';
import type { Metrics } from '../../shared/metrics.js';
import { errorCode, PERMANENT_CODES } from './errors.js';
import { iso, type PipelineSettings } from './options.js';
import { isQueued, type QueueGauge } from './queue-gauge.js';
import type { RecordingLedger } from './recording-ledger.js';
import type { RecordingRepository } from './repo.js';
import type { RecordingRow } from './row.js';
import type { StorageHealthTracker } from './storage-health.js';

const STORE_CODES = new Set(['UNAVAILABLE', 'AUTH', 'LOCATION', 'INTEGRITY', 'NOT_FOUND', 'LOCKED', 'UNKNOWN']);

export interface FailurePorts {
  readonly settings: Pick<PipelineSettings, 'initialBackoffMs' | 'maxBackoffMs' | 'maxMissingAttempts'>;
  readonly repo: Pick<RecordingRepository, 'update'>;
  readonly worker: string;
  readonly queue: Pick<QueueGauge, 'moved'>;
  readonly health: Pick<StorageHealthTracker, 'down'>;
  readonly ledger: Pick<RecordingLedger, 'write'>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics?: Metrics | undefined;
}

/**
 * A step failed: the row stays in its state with attempts, next_attempt_at (exponential backoff)
 * and the error code, or goes to `failed` for a cause a retry cannot fix. Never throws.
 */
export async function recordFailure(row: RecordingRow, err: unknown, p: FailurePorts): Promise<void> {
  const code = errorCode(err);
  const attempts = row.attempts + 1;
  const now = p.clock.now();
  const permanent = PERMANENT_CODES.has(code) || (code === 'SOURCE_MISSING' && attempts >= p.settings.maxMissingAttempts);
  const delay = Math.min(p.settings.maxBackoffMs, p.settings.initialBackoffMs * 2 ** Math.min(30, attempts - 1));
  const storeStep = row.state === 'encrypted' || row.state === 'uploaded' || row.state === 'done';
  const fields = { recordingId: row.id, callId: row.call_id, state: row.state, code, attempt: attempts, detail: (err as Error)?.message };
  if (permanent) p.log.error(fields, 'recording step failed for good: left in state failed, source file kept');
  else if (code === 'AUTH' || code === 'INTEGRITY' || code === 'LOCATION' || code === 'UNKNOWN') p.log.error({ ...fields, retryInMs: delay }, 'recording step failed; will retry');
  else p.log.warn({ ...fields, retryInMs: delay }, 'recording step failed; will retry');
  p.metrics?.failures.inc({ kind: storeStep ? 'recording_upload' : 'recording_pipeline' });
  if (storeStep && code === 'INTEGRITY') p.metrics?.verificationFailures.inc({ check: 'recording' });
  if (storeStep && STORE_CODES.has(code)) p.health.down(code);
  try {
    const next = await p.repo.update(
      row.id,
      {
        attempts,
        last_error: code,
        last_error_at: iso(now),
        next_attempt_at: iso(now + delay),
        updated_at: iso(now),
        ...(permanent ? { state: 'failed' as const } : {}),
      },
      p.worker,
    );
    if (isQueued(row) !== isQueued(next)) await p.queue.moved();
  } catch (e) {
    p.log.error({ err: e, recordingId: row.id }, 'could not record the failure of a recording step');
  }
  // The ledger gets upload failures at attempts 1, 2, 4, 8…, and whenever the cause changes:
  // a long outage leaves a bounded trail, not one event per retry.
  if (storeStep && (permanent || (attempts & (attempts - 1)) === 0 || code !== row.last_error)) {
    await p.ledger.write('recording.upload_failed', row, { attempt: attempts, code, step: row.state }, false).catch((e: unknown) =>
      p.log.error({ err: e, recordingId: row.id }, 'could not write recording.upload_failed'),
    );
  }
}
