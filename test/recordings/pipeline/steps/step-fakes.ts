/**
 * One step at a time: a row in a given state, the ports the step needs (a real local object store
 * and work dir in a temp dir, fakes that record the row's writes and the ledger's events).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RecordingPatch, RecordingRow, RecordingState, RowIn } from '../../../../src/recordings/pipeline/row.js';
import type { StepPorts } from '../../../../src/recordings/pipeline/steps/ports.js';
import { WorkFiles } from '../../../../src/recordings/pipeline/work-files.js';
import { LocalObjectStore } from '../../../../src/recordings/storage/local-store.js';
import { logSink } from '../../ami/helpers.js';

export const T0 = Date.parse('2026-03-01T10:00:00.000Z');
export const CALL_ID = '0b8f6f1e-3c7a-4d2b-9e61-5a4f2c1d0e9b';
export const RECORDING_ID = '5d0c3b7e-1f2a-4c6d-8e9f-0a1b2c3d4e5f';

export function rowIn<S extends RecordingState>(state: S, fields: Partial<RecordingRow> = {}): RowIn<S> {
  const at = new Date(T0).toISOString();
  return {
    id: RECORDING_ID, call_id: CALL_ID, source: 'spool', source_name: `consentline-${CALL_ID}-1700000000.1.wav`, found_by: 'ami',
    channel_uniqueid: '1700000000.1', linkedid: '1700000000.1', state, disposition: 'keep', quarantine_reason: null,
    started_at: at, stopped_at: at, stop_reason: 'hangup', context_id: CALL_ID, plaintext_bytes: null, plaintext_sha256: null,
    ciphertext_bytes: null, ciphertext_sha256: null, key_id: null, store: 'local', object_key: `recordings/2026/03/01/${CALL_ID}/${RECORDING_ID}.wav.enc`,
    version_id: null, retain_until: null, attempts: 0, next_attempt_at: null, last_error: null, last_error_at: null,
    claimed_by: 'w1', claimed_until: null, delete_after: null, created_at: at, updated_at: at, spool_id: 'w1',
    ...fields,
  } as RowIn<S>;
}

export interface StepWorld {
  readonly ports: StepPorts;
  readonly store: LocalObjectStore;
  readonly files: WorkFiles;
  /** The row's writes, in order: [to state (or null for no change), patch]. */
  readonly writes: [RecordingState | null, RecordingPatch][];
  readonly ledger: { kind: string; data: Record<string, unknown> }[];
  readonly healthUps: () => number;
  close(): void;
}

export function stepWorld(over: Partial<StepPorts> = {}): StepWorld {
  const dir = mkdtempSync(path.join(tmpdir(), 'cl-step-'));
  const store = new LocalObjectStore({ root: path.join(dir, 'store') });
  const files = new WorkFiles(path.join(dir, 'work'));
  const writes: StepWorld['writes'] = [];
  const ledger: StepWorld['ledger'] = [];
  let ups = 0;
  const ports: StepPorts = {
    settings: { quarantineDays: 7, verify: 'read-back', storeInfo: { store: 'local', region: null }, retainDays: null, maxFileBytes: 2 ** 20 },
    rows: {
      move: async (row, to, patch) => {
        writes.push([to, patch]);
        return { ...row, ...patch, state: to } as never;
      },
      patch: async (row, patch) => {
        writes.push([null, patch]);
        return { ...row, ...patch } as never;
      },
    },
    ledger: {
      write: async (kind, _row, data) => {
        ledger.push({ kind, data });
      },
      stopped: async () => {},
    },
    store,
    source: { kind: 'spool', nameOf: async () => ({ status: 'rejected', reason: 'empty' }), open: async () => ({ status: 'missing', detail: 'x' }), remove: async () => {}, list: async () => [] },
    envelope: { encryptOpenFile: async () => Promise.reject(new Error('not in this test')) },
    files,
    health: { up: () => void ups++ },
    evidence: { getCall: async () => null },
    log: logSink().logger,
    clock: { now: () => T0 },
    ...over,
  };
  return { ports, store, files, writes, ledger, healthUps: () => ups, close: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes a ciphertext copy into the work dir and returns the row fields that describe it. */
export async function ciphertextCopy(files: WorkFiles, bytes = Buffer.from('ciphertext of the recording')): Promise<Partial<RecordingRow>> {
  await files.ensureDir();
  writeFileSync(files.ciphertextPath(RECORDING_ID), bytes);
  return { ciphertext_bytes: bytes.length, ciphertext_sha256: createHash('sha256').update(bytes).digest('hex'), plaintext_bytes: 10, plaintext_sha256: 'a'.repeat(64), key_id: 'k1' };
}
