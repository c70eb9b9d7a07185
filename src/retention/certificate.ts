import { canonicalJson } from '../evidence/chain.js';
import { parseVerifierKey, type NoteSigner } from '../evidence/checkpoint.js';

const SIGNING_PREFIX = 'consentline-erasure-certificate-v1\n';

/**
 * What an erasure request did, for the requester: signed with the service's Ed25519 note key
 * (the checkpoint key) over "consentline-erasure-certificate-v1\n" ‖ JCS(certificate without
 * `signature`). Holds the masked number only.
 */
export interface ErasureCertificate {
  readonly type: 'consentline-erasure-certificate-v1';
  readonly requestId: string;
  readonly issuedAt: string;
  readonly controller: { readonly name: string; readonly contact?: string };
  readonly subject: { readonly masked: string };
  readonly erased: {
    readonly callIds: readonly string[];
    readonly subjectRecords: number;
    readonly recordingIds: readonly string[];
  };
  readonly notErased: {
    /** Calls under a legal hold: nothing of them was touched. */
    readonly heldCallIds: readonly string[];
    /** Recordings the object store refused to delete (Object Lock), with their retain-until date. */
    readonly locked: ReadonlyArray<{ readonly recordingId: string; readonly retainUntil: string | null; readonly detail: string }>;
    /** Recordings the store could not delete now, or not yet stored: deleted by the next sweeps. */
    readonly pending: ReadonlyArray<{ readonly recordingId: string; readonly detail: string }>;
  };
  /** The `erasure.done` event in the ledger. */
  readonly ledger: { readonly seq: number; readonly hash: string };
  readonly verifierKey: string;
  readonly signature: string;
}

function signingInput(unsigned: Omit<ErasureCertificate, 'signature'>): Buffer {
  return Buffer.from(SIGNING_PREFIX + canonicalJson(unsigned), 'utf8');
}

export function signErasureCertificate(unsigned: Omit<ErasureCertificate, 'signature' | 'verifierKey'>, signer: NoteSigner): ErasureCertificate {
  const body = { ...unsigned, verifierKey: signer.verifierKey };
  return { ...body, signature: signer.sign(signingInput(body)).toString('base64') };
}

/** True when `cert` is signed by the key `verifierKey` (a `name+hash+base64key` string). */
export function verifyErasureCertificate(cert: ErasureCertificate, verifierKey: string): boolean {
  const verifier = parseVerifierKey(verifierKey);
  if (!verifier) return false;
  const { signature, ...unsigned } = cert;
  return verifier.verify(signingInput(unsigned), Buffer.from(signature, 'base64'));
}
