/** Stable codes for recording-encryption failures. */
export type CryptoErrorCode =
  /** No private/decrypting key is configured on this host (e.g. RSA public key only). */
  | 'NO_DECRYPT_KEY'
  /** Key material missing, unreadable or malformed. */
  | 'KEY_INVALID'
  /** Configuration refused (e.g. KMS key outside the allowed regions). */
  | 'CONFIG_INVALID'
  /** The message's encryption context is not the one expected for this call. */
  | 'CONTEXT_MISMATCH'
  /** Authentication, wrong key, malformed or truncated message: nothing more is released. */
  | 'DECRYPT_FAILED'
  | 'ENCRYPT_FAILED';

export class CryptoError extends Error {
  override readonly name = 'CryptoError';
  constructor(
    readonly code: CryptoErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${message}`, options);
  }
}
