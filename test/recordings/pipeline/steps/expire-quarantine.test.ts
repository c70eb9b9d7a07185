import { afterEach, describe, expect, test } from 'vitest';
import { expireQuarantine } from '../../../../src/recordings/pipeline/steps/expire-quarantine.js';
import { ciphertextCopy, RECORDING_ID, rowIn, stepWorld, T0, type StepWorld } from './step-fakes.js';

let w: StepWorld;
afterEach(() => w?.close());

const due = new Date(T0 - 1).toISOString();
const quarantined = { disposition: 'quarantine' as const, quarantine_reason: 'no_consent' as const, object_key: `quarantine/2026/03/01/${RECORDING_ID}.wav.enc` };

describe('expireQuarantine: done → deleted', () => {
  test('a quarantined recording past its period is deleted from the store, with recording.deleted', async () => {
    w = stepWorld();
    const row = rowIn('done', { ...(await ciphertextCopy(w.files)), ...quarantined, delete_after: due });
    await w.store.put(row.object_key!, w.files.ciphertextPath(RECORDING_ID), { bytes: row.ciphertext_bytes!, sha256: row.ciphertext_sha256! });
    const moved = await expireQuarantine(row, w.ports);
    expect(moved?.row.state).toBe('deleted');
    expect(await w.store.head(row.object_key!)).toBeNull();
    expect(w.ledger).toEqual([{ kind: 'recording.deleted', data: { store: 'local', key: row.object_key, reason: 'quarantine_expired' } }]);
  });

  test('not yet due, or a kept recording: nothing happens', async () => {
    w = stepWorld();
    expect(await expireQuarantine(rowIn('done', { ...quarantined, delete_after: new Date(T0 + 1).toISOString() }), w.ports)).toBeNull();
    expect(await expireQuarantine(rowIn('done', { delete_after: due }), w.ports)).toBeNull();
    expect(w.writes).toEqual([]);
    expect(w.ledger).toEqual([]);
  });

  test('a delete refused by Object Lock: LOCKED, the row stays done and the ledger says nothing', async () => {
    w = stepWorld();
    const store = Object.assign(Object.create(w.store), { delete: async (keys: string[]) => keys.map((key) => ({ key, status: 'locked', detail: 'AccessDenied' })) });
    await expect(expireQuarantine(rowIn('done', { ...quarantined, delete_after: due }), { ...w.ports, store })).rejects.toMatchObject({ code: 'LOCKED' });
    expect(w.writes).toEqual([]);
    expect(w.ledger).toEqual([]);
  });
});
