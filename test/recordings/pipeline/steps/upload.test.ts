import { rmSync } from 'node:fs';
import { afterEach, describe, expect, test } from 'vitest';
import { upload } from '../../../../src/recordings/pipeline/steps/upload.js';
import { ciphertextCopy, RECORDING_ID, rowIn, stepWorld, T0, type StepWorld } from './step-fakes.js';

let w: StepWorld;
afterEach(() => w?.close());

describe('upload: encrypted → uploaded', () => {
  test('puts the ciphertext under the row key; a kept recording gets its Object Lock date', async () => {
    w = stepWorld();
    const row = rowIn('encrypted', await ciphertextCopy(w.files));
    const moved = await upload(row, { ...w.ports, settings: { ...w.ports.settings, retainDays: 30 } }, true);
    expect(moved.row.state).toBe('uploaded');
    expect(moved.fresh).toBe(true);
    expect(await w.store.head(row.object_key!)).toMatchObject({ bytes: row.ciphertext_bytes, sha256: row.ciphertext_sha256 });
    expect(w.writes).toEqual([['uploaded', { version_id: null, retain_until: new Date(T0 + 30 * 86_400_000).toISOString(), attempts: 0 }]]);
    expect(w.healthUps()).toBe(1);
  });

  test('a quarantined recording is never put under Object Lock', async () => {
    w = stepWorld();
    const row = rowIn('encrypted', { ...(await ciphertextCopy(w.files)), disposition: 'quarantine', object_key: `quarantine/2026/03/01/${RECORDING_ID}.wav.enc` });
    await upload(row, { ...w.ports, settings: { ...w.ports.settings, retainDays: 30 } }, true);
    expect(w.writes[0]?.[1]).toMatchObject({ retain_until: null });
  });

  test('ciphertext copy lost after a crash, object already stored: goes on to uploaded without a put', async () => {
    w = stepWorld();
    const row = rowIn('encrypted', await ciphertextCopy(w.files));
    await w.store.put(row.object_key!, w.files.ciphertextPath(RECORDING_ID), { bytes: row.ciphertext_bytes!, sha256: row.ciphertext_sha256! });
    rmSync(w.files.ciphertextPath(RECORDING_ID));
    const moved = await upload(row, w.ports, false);
    expect(moved).toMatchObject({ row: { state: 'uploaded' }, fresh: false });
    expect(w.writes).toEqual([['uploaded', { attempts: 0 }]]);
  });

  test('ciphertext copy damaged and nothing stored: back to spooled, to be encrypted again from the source', async () => {
    w = stepWorld();
    const row = rowIn('encrypted', { ...(await ciphertextCopy(w.files)), ciphertext_sha256: 'f'.repeat(64) });
    const moved = await upload(row, w.ports, false);
    expect(moved.row.state).toBe('spooled');
    expect(w.writes).toEqual([['spooled', { ciphertext_bytes: null, ciphertext_sha256: null, plaintext_bytes: null, plaintext_sha256: null }]]);
    expect(await w.store.head(row.object_key!)).toBeNull();
  });

  test('ciphertext copy lost and another object under the key: STORED_MISMATCH, nothing written', async () => {
    w = stepWorld();
    const row = rowIn('encrypted', await ciphertextCopy(w.files));
    const other = await ciphertextCopy(w.files, Buffer.from('some other object'));
    await w.store.put(row.object_key!, w.files.ciphertextPath(RECORDING_ID), { bytes: other.ciphertext_bytes!, sha256: other.ciphertext_sha256! });
    rmSync(w.files.ciphertextPath(RECORDING_ID));
    await expect(upload(row, w.ports, false)).rejects.toMatchObject({ code: 'STORED_MISMATCH' });
    expect(w.writes).toEqual([]);
  });
});
