import { afterEach, describe, expect, test } from 'vitest';
import { verify } from '../../../../src/recordings/pipeline/steps/verify.js';
import { ciphertextCopy, RECORDING_ID, rowIn, stepWorld, type StepWorld } from './step-fakes.js';

let w: StepWorld;
afterEach(() => w?.close());

async function uploaded(world: StepWorld, fields = {}) {
  const row = rowIn('uploaded', { ...(await ciphertextCopy(world.files)), ...fields });
  await world.store.put(row.object_key!, world.files.ciphertextPath(RECORDING_ID), { bytes: row.ciphertext_bytes!, sha256: row.ciphertext_sha256! });
  return row;
}

describe('verify: uploaded → verified', () => {
  test('the stored object read back matches: recording.stored in the ledger, then verified', async () => {
    w = stepWorld();
    const row = await uploaded(w, { disposition: 'quarantine' });
    const moved = await verify(row, w.ports);
    expect(moved).toMatchObject({ row: { state: 'verified' }, fresh: true });
    expect(w.ledger).toEqual([
      {
        kind: 'recording.stored',
        data: expect.objectContaining({ store: 'local', key: row.object_key, bytes: row.ciphertext_bytes, ciphertextSha256: row.ciphertext_sha256, keyId: 'k1', quarantine: true }),
      },
    ]);
    expect(w.healthUps()).toBe(1);
  });

  test('the object is gone: back to encrypted (upload again), nothing in the ledger', async () => {
    w = stepWorld();
    const row = rowIn('uploaded', await ciphertextCopy(w.files));
    const moved = await verify(row, w.ports);
    expect(moved.row.state).toBe('encrypted');
    expect(w.ledger).toEqual([]);
  });

  test('the object under the key is not ours: INTEGRITY, no event and no move', async () => {
    w = stepWorld();
    const row = await uploaded(w);
    await expect(verify({ ...row, ciphertext_sha256: '0'.repeat(64) }, w.ports)).rejects.toMatchObject({ code: 'INTEGRITY' });
    expect(w.ledger).toEqual([]);
    expect(w.writes).toEqual([]);
  });
});
