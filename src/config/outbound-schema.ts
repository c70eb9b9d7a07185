import { z } from 'zod';

const name = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits, "_", "." or "-"');

/** What an outbound campaign calls for: marketing needs the callee's marketing consent (PKE art. 398), service calls do not. */
export const CAMPAIGN_PURPOSES = ['marketing', 'service'] as const;

const CampaignSchema = z.strictObject({
  /** As the dialer passes it (CONSENTLINE_CAMPAIGN); evidence and logs name it. */
  id: name,
  purpose: z.enum(CAMPAIGN_PURPOSES),
  /** For marketing: the consent channel a call needs (the registry entry's channels must include it). */
  channel: z.enum(['phone', 'sms', 'email']).default('phone'),
  /**
   * The flow the dialer hands an answered call to (through consentline-inbound with one of its
   * DIDs), for the notice. A marketing campaign's flow must not ask for marketing consent:
   * asking for it by a marketing call is itself marketing.
   */
  flow: name.optional(),
});
export type CampaignConfig = z.infer<typeof CampaignSchema>;

/**
 * The outbound guard: a dialer places campaign calls through the dialplan's consentline-outbound
 * context, which asks ConsentLine (Stasis(<app>,outbound,<campaign>,<number>)) before any Dial.
 */
export const OutboundConfigSchema = z.strictObject({
  /** Where an allowed call goes on (routes:): the dialplan's Dial to the number. */
  dialRoute: name,
  /** Where a refused call goes (routes:): never a Dial, the reason in CONSENT_OUTBOUND_REASON. */
  refusedRoute: name,
  campaigns: z.array(CampaignSchema).min(1),
});
export type OutboundConfig = z.infer<typeof OutboundConfigSchema>;
