export type EvidenceErrorCode =
  /** The event or its effects are malformed: a bug in the caller; nothing was written. */
  | 'EVIDENCE_INVALID_EVENT'
  /** The batch holding the event failed to commit; nothing of it was written. */
  | 'EVIDENCE_APPEND_FAILED'
  | 'EVIDENCE_STORE_CLOSED'
  | 'EVIDENCE_INVALID_SUBJECT';

export class EvidenceError extends Error {
  override readonly name = 'EvidenceError';
  readonly code: EvidenceErrorCode;

  constructor(code: EvidenceErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
