/**
 * A recording's path, one step per state. Each step takes the row in its state and returns it in
 * the next (or, after a loss found on the way, in an earlier one); its side effects go through
 * {@link StepPorts}. Capture and spool (captured → spooled) happen at intake (intake.ts, scan.ts).
 *
 *   spooled   ─encrypt→          encrypted   (keep or quarantine decided, ciphertext in the work dir)
 *   encrypted ─upload→           uploaded    (or spooled again when the ciphertext copy is lost)
 *   uploaded  ─verify→           verified    (or encrypted again when the object is gone)
 *   verified  ─cleanUp→          done        (local copies deleted)
 *   done      ─expireQuarantine→ deleted     (a quarantined recording past its period)
 */
import type { AnyRow, Moved, RecordingRow } from '../row.js';
import { cleanUp } from './clean-up.js';
import { encrypt } from './encrypt.js';
import { expireQuarantine } from './expire-quarantine.js';
import type { StepPorts } from './ports.js';
import { upload } from './upload.js';
import { verify } from './verify.js';

export type { StepPorts } from './ports.js';

/** Runs the step of the row's state; null when there is none (or the row is not due). */
export function nextStep(input: RecordingRow, p: StepPorts, fresh: boolean): Promise<Moved | null> {
  const row = input as AnyRow;
  switch (row.state) {
    case 'spooled':
      return encrypt(row, p);
    case 'encrypted':
      return upload(row, p, fresh);
    case 'uploaded':
      return verify(row, p);
    case 'verified':
      return cleanUp(row, p);
    case 'done':
      return expireQuarantine(row, p);
    default:
      return Promise.resolve(null);
  }
}
