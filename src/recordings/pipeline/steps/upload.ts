import { PipelineError } from '../errors.js';
import { DAY_MS } from '../options.js';
import type { Moved, RowIn } from '../row.js';
import type { StepPorts } from './ports.js';

/**
 * encrypted → uploaded: puts the ciphertext under the row's key (idempotent: same key, same bytes
 * → no-op), with Object Lock retention for a kept recording when configured. A lost or damaged
 * ciphertext copy sends the row back to spooled (encrypt again), unless the store already holds
 * the recorded object (a crash after the upload).
 */
export async function upload(
  row: RowIn<'encrypted'>,
  p: Pick<StepPorts, 'store' | 'files' | 'rows' | 'health' | 'settings' | 'log'>,
  fresh: boolean,
): Promise<Moved<'uploaded' | 'spooled'>> {
  const key = row.object_key!;
  const expected = { bytes: row.ciphertext_bytes!, sha256: row.ciphertext_sha256! };
  if (!(await p.files.ciphertextIntact(row, fresh))) {
    const head = await p.store.head(key);
    if (head && head.bytes === expected.bytes && head.sha256 === expected.sha256) {
      p.log.info({ recordingId: row.id }, 'ciphertext copy gone but the store holds the recorded object');
      return { row: await p.rows.move(row, 'uploaded', { attempts: 0 }), fresh: false };
    }
    if (head) throw new PipelineError('STORED_MISMATCH', `${key} holds another object and our ciphertext copy is gone`);
    p.log.warn({ recordingId: row.id }, 'ciphertext copy missing or damaged: encrypting again');
    await p.files.removeCiphertext(row.id);
    return {
      row: await p.rows.move(row, 'spooled', { ciphertext_bytes: null, ciphertext_sha256: null, plaintext_bytes: null, plaintext_sha256: null }),
      fresh: false,
    };
  }
  const retainDays = p.settings.retainDays;
  const retainUntil = row.disposition === 'keep' && retainDays ? new Date(Date.parse(row.started_at) + retainDays * DAY_MS) : undefined;
  const put = await p.store.put(key, p.files.ciphertextPath(row.id), { ...expected, ...(retainUntil ? { retainUntil } : {}) });
  p.health.up();
  p.log.info({ recordingId: row.id, key, created: put.created, bytes: expected.bytes }, put.created ? 'recording uploaded' : 'recording was already stored');
  const next = await p.rows.move(row, 'uploaded', {
    version_id: put.versionId ?? null,
    retain_until: retainUntil ? retainUntil.toISOString() : null,
    attempts: 0,
  });
  return { row: next, fresh: true };
}
