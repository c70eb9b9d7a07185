import { createHash } from 'node:crypto';
import { callDecisions, type CallDecisions, type CompleteController, type ControllerAddress, type PurposeDecision } from './receipt-decisions.js';
import type { CallSummary, StoredEvent } from './types.js';

export { completeController, type CompleteController, type ReceiptController } from './receipt-decisions.js';

/*
 * A Kantara Initiative Consent Receipt (v1.1) for one call, valid against the specification's
 * JSON schema (test/fixtures/kantara). A standard reader sees only what the caller agreed to:
 * a purpose is listed under `services[].purposes` only when the caller's choice authorises the
 * processing (recording granted, marketing yes). Every decision, refusals included, is in the
 * namespaced extension `x-consentline` (the schema allows additional properties). The ISO/IEC
 * TS 27560-shaped record is `receipt-iso27560.ts`; the mapping is in docs/consent-receipts.md.
 */

export interface ReceiptPurpose {
  readonly purpose: string;
  readonly purposeCategory: string[];
  /** EXPLICIT / IMPLICIT for a consent; the legal basis when the processing does not rest on consent. */
  readonly consentType: string;
  readonly piiCategory: string[];
  readonly primaryPurpose: boolean;
  readonly termination: string;
  readonly thirdPartyDisclosure: false;
}

export interface ReceiptDecision {
  readonly purpose: string;
  readonly decision: string;
  readonly processingAuthorised: boolean;
  readonly legalBasis: string;
  readonly how: string | null;
  readonly eventSeq: number | null;
  readonly eventHash: string | null;
}

export interface ConsentReceipt {
  readonly version: 'KI-CR-v1.1.0';
  readonly jurisdiction: string;
  /** Seconds since the epoch (Kantara's integer form). */
  readonly consentTimestamp: number;
  readonly collectionMethod: 'IVR notice / DTMF';
  readonly consentReceiptID: string;
  readonly publicKey?: string;
  readonly language?: string;
  readonly piiPrincipalId: string;
  readonly piiControllers: Array<{
    piiController: string;
    onBehalf: false;
    contact: string;
    address: ControllerAddress;
    email: string;
    phone: string;
    piiControllerUrl?: string;
  }>;
  readonly policyUrl: string;
  readonly services: Array<{ service: string; purposes: ReceiptPurpose[] }>;
  readonly sensitive: false;
  readonly spiCat: string[];
  readonly 'x-consentline': {
    readonly decisions: ReceiptDecision[];
    readonly notice: CallDecisions['notice'];
    readonly evidence: { readonly callId: string; readonly eventSeq: number; readonly eventHash: string };
  };
}

export const BASIS_TEXT: Record<string, string> = {
  consent_by_conduct: 'GDPR Art. 6(1)(a) consent (by conduct)',
  explicit_consent: 'GDPR Art. 6(1)(a) consent (explicit)',
  legitimate_interest: 'GDPR Art. 6(1)(f) legitimate interest',
};

export const basisText = (basis: string): string => BASIS_TEXT[basis] ?? basis;

/** Kantara's consentType: EXPLICIT / IMPLICIT for consent, else the legal basis in words. */
function consentType(basis: string): string {
  return basis === 'explicit_consent' ? 'EXPLICIT' : basis === 'consent_by_conduct' ? 'IMPLICIT' : basisText(basis);
}

function kantaraPurpose(p: PurposeDecision): ReceiptPurpose {
  if (p.purpose === 'marketing') {
    return {
      purpose: 'marketing',
      purposeCategory: [`direct marketing by ${p.channels.join(', ') || 'unspecified channels'}`],
      consentType: 'EXPLICIT',
      piiCategory: ['telephone number'],
      primaryPurpose: false,
      termination: 'withdrawal at any time through the controller contact',
      thirdPartyDisclosure: false,
    };
  }
  return {
    purpose: 'call recording',
    purposeCategory: ['quality assurance', 'evidence of the conversation'],
    consentType: consentType(p.legalBasis),
    piiCategory: ['voice recording', 'call metadata'],
    primaryPurpose: true,
    termination: 'objection during the call, or withdrawal through the controller contact',
    thirdPartyDisclosure: false,
  };
}

/** Stable for the same evidence: derived from the decisive event's chain hash. */
export function receiptId(callId: string, decisiveHash: string): string {
  return uuidFromHash(createHash('sha256').update(`consentline-receipt:${callId}:${decisiveHash}`).digest());
}

/** The receipt for a call; null when it has no `call.started` event. Pure: no clock, no store. */
export function buildConsentReceipt(
  callId: string,
  events: readonly StoredEvent[],
  call: CallSummary | null,
  controller: CompleteController,
  opts: { readonly publicKey?: string } = {},
): ConsentReceipt | null {
  const d = callDecisions(callId, events, call);
  if (!d) return null;
  return {
    version: 'KI-CR-v1.1.0',
    jurisdiction: controller.jurisdiction,
    consentTimestamp: Math.floor(Date.parse(d.decisive.at) / 1000),
    collectionMethod: 'IVR notice / DTMF',
    consentReceiptID: receiptId(callId, d.decisive.hash),
    ...(opts.publicKey ? { publicKey: opts.publicKey } : {}),
    ...(d.language ? { language: d.language } : {}),
    piiPrincipalId: d.principalId,
    piiControllers: [
      {
        piiController: controller.name,
        onBehalf: false,
        contact: controller.contact,
        address: controller.address,
        email: controller.email,
        phone: controller.phone,
        ...(controller.url ? { piiControllerUrl: controller.url } : {}),
      },
    ],
    policyUrl: controller.policyUrl,
    services: [{ service: `telephone hotline (flow ${d.flowId})`, purposes: d.purposes.filter((p) => p.processingAuthorised).map(kantaraPurpose) }],
    sensitive: false,
    spiCat: [],
    'x-consentline': {
      decisions: d.purposes.map((p) => ({
        purpose: p.purpose,
        decision: p.decision,
        processingAuthorised: p.processingAuthorised,
        legalBasis: basisText(p.legalBasis),
        how: p.how,
        eventSeq: p.event?.seq ?? null,
        eventHash: p.event?.hash ?? null,
      })),
      notice: d.notice,
      evidence: { callId, eventSeq: d.decisive.seq, eventHash: d.decisive.hash },
    },
  };
}

/** An RFC 9562 version-8 (custom) UUID from hash bytes. */
function uuidFromHash(h: Buffer): string {
  const b = Buffer.from(h.subarray(0, 16));
  b[6] = (b[6]! & 0x0f) | 0x80;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const x = b.toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
