import { callDecisions, type CompleteController, type PurposeDecision } from './receipt-decisions.js';
import { basisText, receiptId } from './receipt.js';
import type { CallSummary, StoredEvent } from './types.js';

/*
 * A consent record shaped after ISO/IEC TS 27560:2023 (record header, PII processing, PII
 * information, party identification, event sections), in snake_case JSON as the DPVCG's
 * implementation guide writes it. The standard's own text was not available when this was
 * written: the field names and state words are assumptions, listed in docs/consent-receipts.md.
 */

export const ISO27560_SCHEMA_VERSION = 'ISO/IEC TS 27560:2023 (ConsentLine profile 1)';

export interface Iso27560Party {
  readonly party_id: string;
  readonly party_name: string;
  readonly party_type: 'pii_controller';
  readonly party_address: CompleteController['address'];
  readonly party_email: string;
  readonly party_phone: string;
  readonly party_url: string | null;
  readonly contact: string;
}

export interface Iso27560Purpose {
  readonly purpose_id: string;
  readonly purpose: string;
  readonly lawful_basis: string;
  readonly pii_information: ReadonlyArray<{ readonly pii_id: string; readonly pii_name: string; readonly sensitive: false }>;
  readonly pii_controllers: readonly string[];
  readonly collection_method: string;
  readonly processing_method: string;
  readonly jurisdiction: string;
  readonly withdrawal_method: string;
  readonly privacy_notice: { readonly notice_id: string | null; readonly version: string | null; readonly sha256: string | null; readonly presented_in_full: boolean; readonly url: string };
  readonly event: ReadonlyArray<{ readonly event_time: string | null; readonly event_type: 'explicit' | 'implicit' | 'not_consent'; readonly event_by: 'pii_principal'; readonly event_state: Iso27560State }>;
  readonly 'x-consentline': { readonly decision: string; readonly how: string | null; readonly event_seq: number | null; readonly event_hash: string | null };
}

/** given / refused for consent; for legitimate interest, objected / not_objected (no consent asked). */
export type Iso27560State = 'given' | 'refused' | 'unknown' | 'objected' | 'not_objected';

export interface Iso27560Record {
  readonly schema_version: typeof ISO27560_SCHEMA_VERSION;
  readonly record_id: string;
  readonly pii_principal_id: string;
  readonly language: string | null;
  readonly parties: readonly Iso27560Party[];
  readonly purposes: readonly Iso27560Purpose[];
  readonly 'x-consentline': { readonly call_id: string; readonly evidence_seq: number; readonly evidence_hash: string; readonly verifier_key: string | null };
}

function state(p: PurposeDecision): Iso27560State {
  if (p.legalBasis === 'legitimate_interest' && p.purpose === 'call recording') return p.decision === 'granted' ? 'not_objected' : p.decision === 'objected' ? 'objected' : 'unknown';
  if (p.processingAuthorised) return 'given';
  return p.decision === 'none' ? 'unknown' : 'refused';
}

function eventType(p: PurposeDecision): 'explicit' | 'implicit' | 'not_consent' {
  if (p.purpose === 'marketing' || p.legalBasis === 'explicit_consent') return 'explicit';
  return p.legalBasis === 'consent_by_conduct' ? 'implicit' : 'not_consent';
}

const PII: Record<PurposeDecision['purpose'], Array<[string, string]>> = {
  'call recording': [
    ['voice-recording', 'voice recording of the call'],
    ['call-metadata', 'call metadata (time, called number, outcome)'],
  ],
  marketing: [['telephone-number', 'telephone number']],
};

/** The record for a call; null when it has no `call.started` event. Pure. */
export function buildIso27560Record(
  callId: string,
  events: readonly StoredEvent[],
  call: CallSummary | null,
  controller: CompleteController,
  opts: { readonly publicKey?: string } = {},
): Iso27560Record | null {
  const d = callDecisions(callId, events, call);
  if (!d) return null;
  const partyId = controller.url ?? controller.name;
  return {
    schema_version: ISO27560_SCHEMA_VERSION,
    record_id: receiptId(callId, d.decisive.hash),
    pii_principal_id: d.principalId,
    language: d.language,
    parties: [
      {
        party_id: partyId,
        party_name: controller.name,
        party_type: 'pii_controller',
        party_address: controller.address,
        party_email: controller.email,
        party_phone: controller.phone,
        party_url: controller.url ?? null,
        contact: controller.contact,
      },
    ],
    purposes: d.purposes.map((p) => ({
      purpose_id: p.purpose === 'marketing' ? 'marketing' : 'call-recording',
      purpose: p.purpose === 'marketing' ? `direct marketing by ${p.channels.join(', ') || 'unspecified channels'}` : 'recording of the call for quality assurance and as evidence of the conversation',
      lawful_basis: basisText(p.legalBasis),
      pii_information: PII[p.purpose].map(([pii_id, pii_name]) => ({ pii_id, pii_name, sensitive: false as const })),
      pii_controllers: [partyId],
      collection_method: 'telephone IVR: spoken notice, key presses (DTMF)',
      processing_method: p.purpose === 'marketing' ? 'contact by the channels named' : 'automated recording by the telephone system',
      jurisdiction: controller.jurisdiction,
      withdrawal_method: p.purpose === 'marketing' ? 'at any time through the controller contact' : 'objection key during the call, or through the controller contact',
      privacy_notice: { notice_id: d.notice.promptId, version: d.notice.version, sha256: d.notice.audioSha256, presented_in_full: d.notice.heardInFull, url: controller.policyUrl },
      event: [{ event_time: p.event?.at ?? null, event_type: eventType(p), event_by: 'pii_principal', event_state: state(p) }],
      'x-consentline': { decision: p.decision, how: p.how, event_seq: p.event?.seq ?? null, event_hash: p.event?.hash ?? null },
    })),
    'x-consentline': { call_id: callId, evidence_seq: d.decisive.seq, evidence_hash: d.decisive.hash, verifier_key: opts.publicKey ?? null },
  };
}
