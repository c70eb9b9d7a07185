/** Stable codes for object-store failures. */
export type ObjectStoreErrorCode =
  /** The store cannot be reached (connection refused/reset, DNS, timeout, 5xx). Retry later. */
  | 'UNAVAILABLE'
  /** Credentials refused (SignatureDoesNotMatch, InvalidAccessKeyId, AccessDenied). */
  | 'AUTH'
  /** A different object already exists under this key (its sha256 differs from ours). */
  | 'CONFLICT'
  /** Region not allowed, or the bucket is not where the configuration says. */
  | 'LOCATION'
  /** What was stored or read does not match the expected size/hash. */
  | 'INTEGRITY'
  | 'NOT_FOUND'
  /** Refused by retention (Object Lock) or legal hold. */
  | 'LOCKED'
  /** Bad argument or configuration (invalid key, option). */
  | 'INVALID'
  | 'UNKNOWN';

export class ObjectStoreError extends Error {
  override readonly name = 'ObjectStoreError';
  constructor(
    readonly code: ObjectStoreErrorCode,
    message: string,
    options?: { cause?: unknown; status?: number; awsCode?: string },
  ) {
    super(`${code}: ${message}`, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.status = options?.status;
    this.awsCode = options?.awsCode;
  }
  /** HTTP status of the failing request, when there was one. */
  readonly status: number | undefined;
  /** The S3 error name (e.g. "SignatureDoesNotMatch"), when there was one. */
  readonly awsCode: string | undefined;
}
