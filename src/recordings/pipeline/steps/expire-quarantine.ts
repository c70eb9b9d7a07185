import { ObjectStoreError } from '../../storage/errors.js';
import type { Moved, RowIn } from '../row.js';
import type { StepPorts } from './ports.js';

/**
 * done → deleted, for a quarantined recording past its period: every version is deleted from the
 * store and `recording.deleted` goes into the ledger. Null when the row is not due (a kept recording never is).
 */
export async function expireQuarantine(
  row: RowIn<'done'>,
  p: Pick<StepPorts, 'store' | 'rows' | 'ledger' | 'health' | 'clock' | 'settings' | 'log'>,
): Promise<Moved<'deleted'> | null> {
  if (row.disposition !== 'quarantine' || row.delete_after === null || Date.parse(row.delete_after) > p.clock.now()) return null;
  const key = row.object_key!;
  const results = await p.store.delete([key], { allVersions: true });
  for (const r of results) {
    if (r.status === 'locked') throw new ObjectStoreError('LOCKED', `delete ${key}: ${r.detail}`);
    if (r.status === 'failed') throw new ObjectStoreError('UNAVAILABLE', `delete ${key}: ${r.detail}`);
  }
  p.health.up();
  await p.ledger.write('recording.deleted', row, { store: p.settings.storeInfo.store, key, reason: 'quarantine_expired' }, true);
  p.log.info({ recordingId: row.id, reason: row.quarantine_reason }, 'quarantined recording deleted');
  return { row: await p.rows.move(row, 'deleted', { delete_after: null, next_attempt_at: null, attempts: 0 }), fresh: false };
}
