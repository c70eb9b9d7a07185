import type { CampaignConfig } from '../config/outbound-schema.js';

/** The caller-to-be's marketing state as the registry holds it (null: none on file). */
export interface RegistryState {
  readonly state: 'given' | 'withdrawn';
  readonly channels: readonly string[] | null;
  /** The ledger seq of the event the state rests on: the evidence behind the decision. */
  readonly seq: number;
}

/** Why a campaign call was allowed or refused: two closed sets (the metric's labels, too). */
export const OUTBOUND_REASONS = {
  allowed: ['marketing_consent_given', 'not_marketing'],
  refused: [
    'no_marketing_consent',
    'marketing_consent_withdrawn',
    'channel_not_consented',
    'unknown_campaign',
    'invalid_number',
    'registry_unavailable',
    'evidence_unavailable',
  ],
} as const;

export type OutboundReason = (typeof OUTBOUND_REASONS)[keyof typeof OUTBOUND_REASONS][number];

export interface OutboundDecision {
  readonly allowed: boolean;
  readonly reason: OutboundReason;
  /** The registry entry's evidence id, when one bore on the decision. */
  readonly consentSeq: number | null;
}

/**
 * Whether a dialer may place a campaign call to a number. Pure. A marketing call needs the
 * number's marketing consent in force, for the campaign's channel (PKE art. 398, GDPR Art. 21(3)
 * after a withdrawal); a service call needs a valid number. Anything unknown refuses: a call not
 * placed can be placed later, a marketing call placed without consent cannot be taken back.
 */
export function decideOutbound(
  campaign: CampaignConfig | undefined,
  number: string | null,
  registry: RegistryState | null | 'unavailable',
): OutboundDecision {
  const refuse = (reason: OutboundReason, consentSeq: number | null = null): OutboundDecision => ({ allowed: false, reason, consentSeq });
  if (!campaign) return refuse('unknown_campaign');
  if (number === null) return refuse('invalid_number');
  if (campaign.purpose !== 'marketing') return { allowed: true, reason: 'not_marketing', consentSeq: null };
  if (registry === 'unavailable') return refuse('registry_unavailable');
  if (registry === null) return refuse('no_marketing_consent');
  if (registry.state === 'withdrawn') return refuse('marketing_consent_withdrawn', registry.seq);
  if (!registry.channels?.includes(campaign.channel)) return refuse('channel_not_consented', registry.seq);
  return { allowed: true, reason: 'marketing_consent_given', consentSeq: registry.seq };
}
