import { CHANNEL_VARS } from '../config/defaults.js';
import { EvidenceError } from '../evidence/errors.js';
import { AriRequestError, type ChannelInfo, type ChannelOps } from './ari/port.js';
import type { FlowEnd, StepName } from './flow/types.js';

/** Whether the service answered the channel, as `call.started` says it. */
export type AnswerState = 'answered' | 'already_up' | 'not_answered' | 'answer_failed';

/**
 * Answers the channel before the first prompt, unless the flow plays early media (`answer:
 * false`) or the channel is up already (no request then). A caller gone meanwhile abandons;
 * a refused or unanswered request ends the flow as failed (fallback route, unrecorded).
 */
export async function answerIfAsked(
  ops: ChannelOps,
  channel: ChannelInfo,
  answer: boolean,
  step: StepName,
): Promise<{ state: AnswerState; end?: FlowEnd; fault?: unknown }> {
  if (!answer) return { state: 'not_answered' };
  if (channel.state === 'Up') return { state: 'already_up' };
  try {
    await ops.answer(channel.id);
    return { state: 'answered' };
  } catch (err) {
    if (err instanceof AriRequestError && err.gone) return { state: 'answer_failed', end: { outcome: 'abandoned', step } };
    return { state: 'answer_failed', end: { outcome: 'failed', step, reason: faultReason(err) }, fault: err };
  }
}

/**
 * The consent variables the dialplan reads after `continue`, in one request (ARRAY()).
 * CONSENT_RECORDING goes last: were the values ever split over several requests, a partial
 * failure leaves it unset, which the dialplan reads as "no".
 */
export async function setConsentVars(
  ops: ChannelOps,
  channelId: string,
  v: { id: string; recording: 'yes' | 'no'; marketing: string; lang: string },
): Promise<void> {
  await ops.setVariables(channelId, [
    [CHANNEL_VARS.consentId, v.id],
    [CHANNEL_VARS.marketing, v.marketing],
    [CHANNEL_VARS.language, v.lang],
    [CHANNEL_VARS.recording, v.recording],
  ]);
}

export function faultReason(err: unknown): string {
  if (err instanceof AriRequestError) return err.status ? `ari_http_${err.status}` : 'ari_unreachable';
  if (err instanceof EvidenceError) return 'evidence_unavailable';
  return 'internal_error';
}
