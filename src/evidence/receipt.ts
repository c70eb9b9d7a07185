import { createHash } from 'node:crypto';
import type { CallSummary, JsonValue, StoredEvent } from './types.js';

export interface ReceiptController {
  readonly name: string;
  readonly jurisdiction: string;
  readonly contact?: string | undefined;
  readonly address?: string | undefined;
  readonly email?: string | undefined;
  readonly phone?: string | undefined;
  readonly policyUrl?: string | undefined;
}

export interface ReceiptPurpose {
  readonly purpose: string;
  readonly purposeCategory: string[];
  /** EXPLICIT / IMPLICIT for a consent; the legal basis when the processing does not rest on consent. */
  readonly consentType: string;
  readonly piiCategory: string[];
  readonly primaryPurpose: boolean;
  readonly termination: string;
  readonly thirdPartyDisclosure: boolean;
  /** Extension: what the caller chose. */
  readonly decision: string;
  readonly legalBasis: string;
}

/**
 * A Kantara Initiative Consent Receipt (v1.1) for one call.
 *
 * Mapping to ISO/IEC TS 27560:2023 (consent record information structure): `consentReceiptID`
 * → record identifier; `piiPrincipalId` → PII principal (here the salted commitment from
 * `call.started`, never the number: the record outlives erasure of the subject); `piiControllers`
 * → PII controller; `services[].purposes[]` → purpose, with `consentType` → consent type
 * (explicit / implicit) or the processing's legal basis; `collectionMethod` and the `notice`
 * extension → notice (how and which version was presented, with the audio's SHA-256);
 * `consentTimestamp` → the consent event's time; `evidence` → the ledger event (seq, hash)
 * the record is derived from, i.e. the 27560 "evidence" reference.
 */
export interface ConsentReceipt {
  readonly version: 'KI-CR-v1.1.0';
  readonly jurisdiction: string;
  /** Seconds since the epoch (Kantara's integer form). */
  readonly consentTimestamp: number;
  readonly collectionMethod: 'IVR notice / DTMF';
  readonly consentReceiptID: string;
  readonly publicKey?: string;
  readonly language: string | null;
  readonly piiPrincipalId: string | null;
  readonly piiControllers: Array<{
    piiController: string;
    contact?: string;
    address?: string;
    email?: string;
    phone?: string;
    onBehalf: false;
  }>;
  readonly policyUrl?: string;
  readonly services: Array<{ service: string; purposes: ReceiptPurpose[] }>;
  readonly sensitive: false;
  readonly spiCat: string[];
  readonly notice: {
    readonly promptId: string | null;
    readonly version: string | null;
    readonly audioSha256: string | null;
    readonly heardInFull: boolean;
  };
  readonly evidence: {
    readonly callId: string;
    readonly eventSeq: number;
    readonly eventHash: string;
  };
}

const BASIS_TEXT: Record<string, string> = {
  consent_by_conduct: 'GDPR Art. 6(1)(a) consent (by conduct)',
  explicit_consent: 'GDPR Art. 6(1)(a) consent (explicit)',
  legitimate_interest: 'GDPR Art. 6(1)(f) legitimate interest',
};

const str = (v: JsonValue | undefined): string | null => (typeof v === 'string' ? v : null);

/**
 * Builds a receipt from a call's events (and its summary, for the language); null when the
 * call has no `call.started` event. Pure: no clock, no store.
 */
export function buildConsentReceipt(
  callId: string,
  events: readonly StoredEvent[],
  call: CallSummary | null,
  controller: ReceiptController,
  opts: { readonly publicKey?: string } = {},
): ConsentReceipt | null {
  const started = events.find((e) => e.kind === 'call.started');
  if (!started) return null;
  const basis = str(started.data.legalBasis) ?? call?.legalBasis ?? 'unknown';
  const flowId = str(started.data.flowId) ?? call?.flowId ?? 'unknown';
  const recordingEvent = events.find((e) => e.kind === 'consent.recording');
  const objection = events.find((e) => e.kind === 'objection.made');
  const marketingEvent = events.find((e) => e.kind === 'consent.marketing');
  const notices = events.filter((e) => e.kind === 'prompt.played' && e.data.step === 'notice');
  const notice = notices.find((e) => e.data.playback === 'completed') ?? notices[notices.length - 1];

  const decisive = recordingEvent ?? objection ?? started;
  const recordingDecision = objection ? 'objected' : (str(recordingEvent?.data.decision) ?? 'none');
  const consentType = basis === 'explicit_consent' ? 'EXPLICIT' : basis === 'consent_by_conduct' ? 'IMPLICIT' : (BASIS_TEXT[basis] ?? basis);
  const purposes: ReceiptPurpose[] = [
    {
      purpose: 'call recording',
      purposeCategory: ['quality assurance', 'evidence of the conversation'],
      consentType,
      piiCategory: ['voice recording', 'call metadata'],
      primaryPurpose: true,
      termination: 'objection during the call, or withdrawal through the controller contact',
      thirdPartyDisclosure: false,
      decision: recordingDecision,
      legalBasis: BASIS_TEXT[basis] ?? basis,
    },
  ];
  if (marketingEvent) {
    const channels = Array.isArray(marketingEvent.data.channels) ? marketingEvent.data.channels.filter((c) => typeof c === 'string') : [];
    purposes.push({
      purpose: 'marketing',
      purposeCategory: [`direct marketing by ${channels.join(', ') || 'unspecified channels'}`],
      consentType: 'EXPLICIT',
      piiCategory: ['telephone number'],
      primaryPurpose: false,
      termination: 'withdrawal at any time through the controller contact',
      thirdPartyDisclosure: false,
      decision: str(marketingEvent.data.decision) ?? 'none',
      legalBasis: BASIS_TEXT.explicit_consent!,
    });
  }
  const hashOfDecisive = decisive.hash;
  return {
    version: 'KI-CR-v1.1.0',
    jurisdiction: controller.jurisdiction,
    consentTimestamp: Math.floor(Date.parse(decisive.at) / 1000),
    collectionMethod: 'IVR notice / DTMF',
    // Stable for the same evidence: derived from the decisive event's chain hash.
    consentReceiptID: uuidFromHash(createHash('sha256').update(`consentline-receipt:${callId}:${hashOfDecisive}`).digest()),
    ...(opts.publicKey ? { publicKey: opts.publicKey } : {}),
    language: str(started.data.lang) ?? call?.language ?? null,
    piiPrincipalId: str(started.data.caller),
    piiControllers: [
      {
        piiController: controller.name,
        ...(controller.contact ? { contact: controller.contact } : {}),
        ...(controller.address ? { address: controller.address } : {}),
        ...(controller.email ? { email: controller.email } : {}),
        ...(controller.phone ? { phone: controller.phone } : {}),
        onBehalf: false,
      },
    ],
    ...(controller.policyUrl ? { policyUrl: controller.policyUrl } : {}),
    services: [{ service: `telephone hotline (flow ${flowId})`, purposes }],
    sensitive: false,
    spiCat: [],
    notice: {
      promptId: str(notice?.data.promptId),
      version: str(notice?.data.version),
      audioSha256: str(notice?.data.audioSha256),
      heardInFull: notice?.data.playback === 'completed',
    },
    evidence: { callId, eventSeq: decisive.seq, eventHash: decisive.hash },
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
