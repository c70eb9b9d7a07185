import type { ErasureCertificate } from './certificate.js';
import type { ErasureRow } from './repo.js';

/**
 * An erasure request as the API lists it. `done`: erased, with a signed certificate. `open`:
 * opened by a withdrawn recording consent (withdrawal.ts): its recordings are marked and the
 * next sweeps delete them; there is no certificate. The requester is a token id, or `call:<id>`
 * for a withdrawal made by key in a call. Masked number only.
 */
export interface ErasureSummary {
  readonly requestId: string;
  readonly requestedBy: string;
  readonly requestedAt: string;
  readonly status: 'done' | 'open';
  readonly doneAt: string | null;
  readonly subjectMasked: string | null;
  readonly erased: { readonly calls: number; readonly recordings: number; readonly subjectRecords: number } | null;
  readonly notErased: { readonly heldCallIds: string[]; readonly locked: number; readonly pending: number } | null;
}

/** The row's certificate, parsed; null while open (or if the stored text is not a certificate). */
export function erasureCertificateOf(row: ErasureRow): ErasureCertificate | null {
  if (row.certificate === null) return null;
  try {
    const c = JSON.parse(row.certificate) as ErasureCertificate;
    return c && c.type === 'consentline-erasure-certificate-v1' ? c : null;
  } catch {
    return null;
  }
}

export function erasureSummary(row: ErasureRow): ErasureSummary {
  const c = erasureCertificateOf(row);
  return {
    requestId: row.id,
    requestedBy: row.requested_by,
    requestedAt: row.requested_at,
    status: row.done_at !== null && c !== null ? 'done' : 'open',
    doneAt: row.done_at,
    subjectMasked: c?.subject.masked ?? null,
    erased: c ? { calls: c.erased.callIds.length, recordings: c.erased.recordingIds.length, subjectRecords: c.erased.subjectRecords } : null,
    notErased: c ? { heldCallIds: [...c.notErased.heldCallIds], locked: c.notErased.locked.length, pending: c.notErased.pending.length } : null,
  };
}
