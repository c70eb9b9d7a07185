import { CryptoError } from '../crypto/errors.js';
import { ObjectStoreError } from '../storage/errors.js';
import { AriFetchError } from '../ari-fetch/client.js';

export type PipelineErrorCode =
  /** The recording file is not (or no longer) at its source. */
  | 'SOURCE_MISSING'
  /** The source refused the file (symlink, hard link, odd name…): never read, never deleted. */
  | 'SOURCE_REJECTED'
  /** The object under our key is not the one this recording uploaded. */
  | 'STORED_MISMATCH';

export class PipelineError extends Error {
  override readonly name = 'PipelineError';
  constructor(
    readonly code: PipelineErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${message}`, options);
  }
}

/** A short stable code for any failure of a step: stored in `last_error` and the ledger. */
export function errorCode(e: unknown): string {
  if (e instanceof PipelineError || e instanceof ObjectStoreError || e instanceof CryptoError) return e.code;
  if (e instanceof AriFetchError) return `ARI_${e.code}`;
  const code = (e as { code?: unknown })?.code;
  if (typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(code)) return code;
  return 'UNKNOWN';
}

/** Codes a retry cannot fix: the row goes to `failed` and keeps its source file. */
export const PERMANENT_CODES: ReadonlySet<string> = new Set(['CONFLICT', 'SOURCE_REJECTED', 'STORED_MISMATCH', 'INVALID', 'CONTEXT_MISMATCH', 'ARI_INVALID_NAME']);
