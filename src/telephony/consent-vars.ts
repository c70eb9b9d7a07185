import { CHANNEL_VARS } from '../config/defaults.js';
import { EvidenceError } from '../evidence/errors.js';
import { AriRequestError, type ChannelOps } from './ari/port.js';

/** What the dialplan reads after the IVR: the CONSENT_* channel variables. */
export interface ConsentVars {
  readonly callId: string;
  readonly recording: 'yes' | 'no';
  readonly marketing: string;
  readonly lang: string;
}

export async function setConsentVars(ops: ChannelOps, channelId: string, v: ConsentVars): Promise<void> {
  // CONSENT_RECORDING goes last: a partial failure leaves it unset, which the dialplan reads as "no".
  await Promise.all([
    ops.setVariable(channelId, CHANNEL_VARS.consentId, v.callId),
    ops.setVariable(channelId, CHANNEL_VARS.marketing, v.marketing),
    ops.setVariable(channelId, CHANNEL_VARS.language, v.lang),
  ]);
  await ops.setVariable(channelId, CHANNEL_VARS.recording, v.recording);
}

/** The `reason` a call.failed event gives for a fault. */
export function faultReason(err: unknown): string {
  if (err instanceof AriRequestError) return err.status ? `ari_http_${err.status}` : 'ari_unreachable';
  if (err instanceof EvidenceError) return 'evidence_unavailable';
  return 'internal_error';
}
