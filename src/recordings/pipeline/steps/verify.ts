import { ObjectStoreError } from '../../storage/errors.js';
import { verifyStoredObject } from '../../storage/verify.js';
import type { Moved, RowIn } from '../row.js';
import type { StepPorts } from './ports.js';

/**
 * uploaded → verified: the stored object's size and SHA-256 match the row (read back by default,
 * or the head only), then `recording.stored` goes into the ledger. An object that is gone sends
 * the row back to encrypted (upload again).
 */
export async function verify(
  row: RowIn<'uploaded'>,
  p: Pick<StepPorts, 'store' | 'rows' | 'ledger' | 'health' | 'settings' | 'log'>,
): Promise<Moved<'verified' | 'encrypted'>> {
  const key = row.object_key!;
  const expected = { bytes: row.ciphertext_bytes!, sha256: row.ciphertext_sha256! };
  const head = await p.store.head(key);
  if (!head) {
    p.log.warn({ recordingId: row.id, key }, 'uploaded object not found: uploading again');
    return { row: await p.rows.move(row, 'encrypted', {}), fresh: false };
  }
  if (head.bytes !== expected.bytes || head.sha256 !== expected.sha256) {
    throw new ObjectStoreError('INTEGRITY', `verify ${key}: head says ${head.bytes} bytes / sha256 ${head.sha256}, expected ${expected.bytes} / ${expected.sha256}`);
  }
  if (p.settings.verify === 'read-back') await verifyStoredObject(p.store, key, expected);
  p.health.up();
  const info = p.settings.storeInfo;
  await p.ledger.write(
    'recording.stored',
    row,
    {
      store: info.store,
      ...(info.bucket ? { bucket: info.bucket } : {}),
      region: info.region ?? null,
      key,
      plaintextSha256: row.plaintext_sha256,
      ciphertextSha256: row.ciphertext_sha256,
      bytes: row.ciphertext_bytes,
      plaintextBytes: row.plaintext_bytes,
      keyId: row.key_id,
      quarantine: row.disposition === 'quarantine',
      ...(row.retain_until ? { retainUntil: row.retain_until } : {}),
    },
    true,
  );
  return { row: await p.rows.move(row, 'verified', { attempts: 0 }), fresh: true };
}
