import type { FileHandle } from 'node:fs/promises';
import { inspectRecording } from '../audio-read.js';
import { PipelineError } from '../errors.js';
import type { Moved, RowIn } from '../row.js';
import { decideOnce } from './decide.js';
import type { StepPorts } from './ports.js';

type EncryptPorts = Pick<
  StepPorts,
  'source' | 'files' | 'envelope' | 'rows' | 'ledger' | 'evidence' | 'isDoNotRecord' | 'clock' | 'settings' | 'log' | 'metrics'
>;

/**
 * spooled → encrypted: opens the closed file, takes the keep/quarantine decision (decide.ts) and
 * leaves the ciphertext fsynced in the work dir, its hashes in the row. The source file stays.
 */
export async function encrypt(input: RowIn<'spooled'>, p: EncryptPorts): Promise<Moved<'encrypted'>> {
  let row = input;
  await p.ledger.stopped(row, { reason: row.stop_reason ?? 'unknown', recovered: true }, false);
  await p.files.ensureDir();
  const opened = await p.source.open(row.source_name, p.files.plaintextPath(row.id));
  if (opened.status === 'missing') throw new PipelineError('SOURCE_MISSING', opened.detail);
  if (opened.status === 'rejected') throw new PipelineError('SOURCE_REJECTED', `${row.source_name}: ${opened.reason}`);
  try {
    row = await decideOnce(row, await inspectRecording(opened.handle, opened.size, { maxBytes: p.settings.maxFileBytes }), p);
    return await encryptOpened(row, opened, p);
  } finally {
    await opened.handle.close();
  }
}

async function encryptOpened(row: RowIn<'spooled'>, opened: { handle: FileHandle; size: number }, p: EncryptPorts): Promise<Moved<'encrypted'>> {
  const tmp = p.files.ciphertextPath(row.id);
  const result = await p.envelope.encryptOpenFile(opened.handle, tmp, { callId: row.context_id, plaintextBytes: opened.size });
  await p.files.fsync(tmp);
  const next = await p.rows.move(row, 'encrypted', {
    plaintext_bytes: result.plaintextBytes,
    plaintext_sha256: result.plaintextSha256,
    ciphertext_bytes: result.ciphertextBytes,
    ciphertext_sha256: result.ciphertextSha256,
    key_id: result.keyId,
    attempts: 0,
  });
  return { row: next, fresh: true };
}
