// One encryption thread of the pool in encryption-threads.ts. It builds the host's keyring once
// from the same key configuration as the main thread (key material never crosses threads) and
// encrypts files the main thread has opened, by descriptor.
import { workerData } from 'piscina';
import { CryptoError, type CryptoErrorCode } from './errors.js';
import { createRecordingEnvelope, type EncryptResult, type RecordingEnvelope } from './envelope.js';
import { createRecordingKeyring, type RecordingKeyConfig } from './keyring.js';

export interface EncryptTask {
  /** Descriptor of the plaintext, opened by the main thread and kept open until the task ends. */
  readonly fd: number;
  readonly outputPath: string;
  readonly callId: string;
  readonly plaintextBytes: number;
}

/** Errors come back as data: a class does not survive the thread boundary. */
export type EncryptOutcome =
  | { readonly ok: true; readonly result: EncryptResult }
  | { readonly ok: false; readonly code: CryptoErrorCode; readonly detail: string };

const { keyConfig } = workerData as { keyConfig: RecordingKeyConfig };
let envelope: Promise<RecordingEnvelope> | null = null;

/**
 * Built by the first task, not when the module loads: piscina leaves later tasks waiting forever
 * when a worker's module fails to load (found by the keyring-failure test), while a failed task
 * is just an answer. A failure is not kept: the next task tries again (the key may be back).
 */
function envelopeOfThisThread(): Promise<RecordingEnvelope> {
  envelope ??= createRecordingKeyring(keyConfig).then((keyring) => createRecordingEnvelope(keyring));
  envelope.catch(() => (envelope = null));
  return envelope;
}

export default async function encrypt(task: EncryptTask): Promise<EncryptOutcome> {
  try {
    const envelope = await envelopeOfThisThread();
    const result = await envelope.encryptOpenFile({ fd: task.fd }, task.outputPath, { callId: task.callId, plaintextBytes: task.plaintextBytes });
    return { ok: true, result };
  } catch (e) {
    if (e instanceof CryptoError) return { ok: false, code: e.code, detail: e.message.slice(e.code.length + 2) };
    return { ok: false, code: 'ENCRYPT_FAILED', detail: (e as Error).message };
  }
}
