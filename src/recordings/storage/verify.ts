import { createHash } from 'node:crypto';
import { ObjectStoreError } from './errors.js';
import type { ObjectStore } from './port.js';

/**
 * Reads an object back and checks its length and SHA-256 against what was uploaded: object
 * metadata only echoes what we sent, and RGW ignores x-amz-checksum-* headers, so this is the
 * real "verified" step before a local copy may be deleted.
 */
export async function verifyStoredObject(store: ObjectStore, key: string, expected: { bytes: number; sha256: string }): Promise<void> {
  const hash = createHash('sha256');
  let bytes = 0;
  const body = await store.get(key);
  try {
    for await (const chunk of body) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
  } catch (e) {
    throw new ObjectStoreError('UNAVAILABLE', `verify ${key}: read failed: ${(e as Error).message}`, { cause: e });
  }
  const sha256 = hash.digest('hex');
  if (bytes !== expected.bytes || sha256 !== expected.sha256) {
    throw new ObjectStoreError('INTEGRITY', `verify ${key}: stored ${bytes} bytes / sha256 ${sha256}, expected ${expected.bytes} / ${expected.sha256}`);
  }
}
