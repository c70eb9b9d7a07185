import { ObjectStoreError } from './errors.js';

/**
 * Ids allowed in object keys: our own UUIDs (lowercase, canonical) or ULIDs. Anything else is
 * refused, so a caller number or a name can never end up in a key (keys show up in bucket
 * listings, access logs and inventories that our erasure cannot reach).
 */
export const ID_PATTERN = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9A-HJKMNP-TV-Z]{26})$/;

/** Keys any store accepts: relative, "/"-separated, no dot segments, a safe character set. */
export const KEY_PATTERN = /^(?!\/)(?!.*\/\/)(?!.*(?:^|\/)\.\.?(?:\/|$))[A-Za-z0-9._\/-]{1,512}$/;

/**
 * The deterministic key of a recording: the same inputs give the same key on every retry.
 * `startedAt` is the recording's own start time (not "now"), so a retry after midnight still
 * lands on the same key.
 *
 * @example recordingObjectKey({ callId, recordingId, startedAt }) // "recordings/2026/11/28/<callId>/<recordingId>.wav.enc"
 */
export function recordingObjectKey(input: { callId: string; recordingId: string; startedAt: Date | string }): string {
  for (const [name, v] of [['callId', input.callId], ['recordingId', input.recordingId]] as const) {
    if (!ID_PATTERN.test(v)) throw new ObjectStoreError('INVALID', `${name} must be a lowercase UUID or a ULID`);
  }
  const at = new Date(input.startedAt);
  if (Number.isNaN(at.getTime())) throw new ObjectStoreError('INVALID', 'startedAt is not a valid date');
  const day = at.toISOString().slice(0, 10).replaceAll('-', '/');
  return `recordings/${day}/${input.callId}/${input.recordingId}.wav.enc`;
}

export function assertValidKey(key: string): void {
  if (!KEY_PATTERN.test(key)) throw new ObjectStoreError('INVALID', `invalid object key ${JSON.stringify(key.slice(0, 80))}`);
}
