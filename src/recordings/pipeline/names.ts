import { ObjectStoreError } from '../storage/errors.js';
import { assertValidKey, ID_PATTERN } from '../storage/keys.js';

/**
 * The file name the sample dialplan gives a recording (asterisk/extensions.conf):
 * `consentline-${CONSENT_ID}-${FILTER(0-9A-Za-z.,${UNIQUEID})}.wav`. The spool scan takes only
 * names of this shape; anything else in the directory is someone else's.
 */
export const DIALPLAN_FILE_PATTERN = /^consentline-[0-9A-Za-z-]+-[0-9A-Za-z.]+\.wav$/;

// `.wav` optional: with source `ari` the name is an ARI stored recording's, the file name without its format.
const WITH_CALL_ID = /^consentline-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})-[0-9A-Za-z.]+?(?:\.wav)?$/;

/** The CONSENT_ID (our call id, a UUID) a dialplan-made file name (or its ARI stored-recording name) carries, or null. */
export function callIdFromFileName(name: string): string | null {
  return WITH_CALL_ID.exec(name)?.[1] ?? null;
}

/** A CONSENT_ID usable as a ledger call id (our ids are UUIDs or ULIDs); anything else is an unknown call. */
export function asCallId(value: string | undefined | null): string | null {
  return typeof value === 'string' && ID_PATTERN.test(value) ? value : null;
}

/** What the AMI MixMonitor action is told to write in capture mode `ami` (same shape as the dialplan's). */
export function dialplanFileName(callId: string, uniqueid: string): string {
  return `consentline-${callId}-${uniqueid.replace(/[^0-9A-Za-z.]/g, '')}.wav`;
}

/**
 * Where a quarantined recording goes: its own prefix, never under `recordings/`, and without the
 * call id (the call may be unknown).
 */
export function quarantineObjectKey(input: { recordingId: string; startedAt: string }): string {
  if (!ID_PATTERN.test(input.recordingId)) throw new ObjectStoreError('INVALID', 'recordingId must be a lowercase UUID or a ULID');
  const at = new Date(input.startedAt);
  if (Number.isNaN(at.getTime())) throw new ObjectStoreError('INVALID', 'startedAt is not a valid date');
  const key = `quarantine/${at.toISOString().slice(0, 10).replaceAll('-', '/')}/${input.recordingId}.wav.enc`;
  assertValidKey(key);
  return key;
}
