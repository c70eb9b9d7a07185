import { DAY_MS, iso } from '../options.js';
import type { Moved, RowIn } from '../row.js';
import type { StepPorts } from './ports.js';

/**
 * verified → done: the spool file (or the ARI stored recording) and the ciphertext copy are
 * deleted, never before the stored copy is verified. A quarantined recording gets its deletion date.
 */
export async function cleanUp(
  row: RowIn<'verified'>,
  p: Pick<StepPorts, 'source' | 'files' | 'rows' | 'clock' | 'settings' | 'log'>,
): Promise<Moved<'done'>> {
  await p.source.remove(row.source_name, p.files.plaintextPath(row.id));
  await p.files.removeCiphertext(row.id);
  const deleteAfter = row.disposition === 'quarantine' ? iso(p.clock.now() + p.settings.quarantineDays * DAY_MS) : null;
  p.log.info({ recordingId: row.id, callId: row.call_id, quarantine: row.disposition === 'quarantine' }, 'recording stored and verified; local copies deleted');
  return { row: await p.rows.move(row, 'done', { delete_after: deleteAfter, next_attempt_at: deleteAfter, attempts: 0 }), fresh: false };
}
