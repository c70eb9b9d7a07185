import { CHANNEL_VARS, DEFAULTS } from '../config/defaults.js';
import type { OutboundConfig } from '../config/outbound-schema.js';
import type { Route } from '../config/schema.js';
import type { MarketingRegistryRepo } from '../evidence/marketing-rows.js';
import type { EvidenceWriter } from '../evidence/store.js';
import { maskE164 } from '../evidence/subject.js';
import type { Logger } from '../shared/log.js';
import { AriRequestError, type ChannelInfo, type ChannelOps } from './ari/port.js';
import { decideOutbound, type OutboundDecision, type RegistryState } from './outbound-decision.js';

/** `Stasis(<app>,outbound,<campaign>,<number>)`: a dialer's campaign call, waiting for its Dial. */
export const isOutboundCall = (args: readonly string[]) => args[0] === DEFAULTS.outboundStasisArg;

export interface OutboundGuardDeps {
  readonly outbound: OutboundConfig | undefined;
  readonly routes: Readonly<Record<string, Route>>;
  readonly evidence: EvidenceWriter;
  readonly log: Logger;
  /** The dialled number in E.164, or null when it is not a phone number. */
  readonly normalize: (raw: string) => string | null;
  /** The number's entry in the marketing registry (null: none). */
  readonly marketingState: (e164: string) => Promise<RegistryState | null>;
  readonly onChecked?: (decision: OutboundDecision) => void;
}

export type OutboundGuard = (channel: ChannelInfo, ops: ChannelOps) => Promise<OutboundDecision | null>;

/**
 * The outbound guard: before the dialplan dials a campaign call, the number is checked for the
 * campaign's purpose, the decision is written to the ledger (`outbound.checked`: campaign,
 * reason, the masked number, the registry entry's evidence id) and the channel goes on to the
 * dial route only if allowed, else to the refused route, which never dials. Fails closed: no
 * ledger write, no registry answer or no config means no call.
 */
export function outboundGuard(d: OutboundGuardDeps): OutboundGuard {
  const log = d.log.child({ component: 'outbound' });
  return async (channel, ops) => {
    const [, campaignId = '', raw = ''] = channel.args;
    if (!d.outbound) {
      log.error({ channel: channel.id, campaign: campaignId }, 'outbound call in Stasis but no outbound section in the config: hung up, not dialled');
      await ops.hangup(channel.id).catch(() => undefined);
      return null;
    }
    const campaign = d.outbound.campaigns.find((c) => c.id === campaignId);
    const e164 = d.normalize(raw);
    const registry = campaign?.purpose === 'marketing' && e164 ? await d.marketingState(e164).catch((err: unknown) => {
      log.error({ err }, 'marketing registry not answering: outbound marketing call refused');
      return 'unavailable' as const;
    }) : null;
    let decision = decideOutbound(campaign, e164, registry);
    const number = e164 ? maskE164(e164) : null;
    const data = { campaign: campaignId, purpose: campaign?.purpose ?? null, number, channelId: channel.id };
    try {
      await d.evidence.append({ callId: null, kind: 'outbound.checked', data: { ...data, decision: decision.allowed ? 'allowed' : 'refused', reason: decision.reason, consentSeq: decision.consentSeq } });
    } catch (err) {
      log.error({ err }, 'evidence store refused outbound.checked: call refused');
      decision = { allowed: false, reason: 'evidence_unavailable', consentSeq: decision.consentSeq };
    }
    d.onChecked?.(decision);
    if (decision.allowed) log.info({ ...data, reason: decision.reason, consentSeq: decision.consentSeq }, 'outbound call allowed');
    else log.warn({ ...data, reason: decision.reason, consentSeq: decision.consentSeq }, 'outbound call refused: not dialled');
    const route = d.routes[decision.allowed ? d.outbound.dialRoute : d.outbound.refusedRoute];
    try {
      if (!route) throw new Error('outbound route missing from routes');
      await ops.setVariable(channel.id, CHANNEL_VARS.outboundReason, decision.reason);
      // Last: the dial route dials only on exactly "allowed".
      await ops.setVariable(channel.id, CHANNEL_VARS.outbound, decision.allowed ? 'allowed' : 'refused');
      await ops.continueInDialplan(channel.id, route);
    } catch (err) {
      if (err instanceof AriRequestError && err.gone) return decision;
      log.error({ err, channel: channel.id }, 'outbound call could not be sent on: hung up, not dialled');
      await ops.hangup(channel.id).catch(() => undefined);
    }
    return decision;
  };
}

/** The registry's entry for one look-up key, as the decision needs it. */
export async function registryState(registry: Pick<MarketingRegistryRepo, 'lookup'>, key: string): Promise<RegistryState | null> {
  const e = (await registry.lookup([key])).get(key);
  return e ? { state: e.state, channels: e.channels, seq: e.seq } : null;
}
