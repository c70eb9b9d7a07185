import type { FlowConfig } from '../config/schema.js';

const digitsOnly = (s: string) => s.replace(/[^0-9]/g, '');

/**
 * Why a call got its flow, as the evidence and the log say it:
 * - `did_matched`: the called number is listed in that flow's `dids`;
 * - `default_no_did`: no called number reached the service (no Stasis argument, and the dialplan
 *   extension is not a number, e.g. `s` after a `Goto(…,s,1)`);
 * - `default_unknown_did`: a called number came, but no flow lists it.
 */
export type FlowSelectionReason = 'did_matched' | 'default_no_did' | 'default_unknown_did';

export interface FlowSelection {
  readonly flow: FlowConfig;
  /** The called number as received ('' when none). */
  readonly did: string;
  /** Where it came from: the first `Stasis()` argument, or the channel's dialplan extension. */
  readonly didFrom: 'stasis_arg' | 'exten';
  readonly reason: FlowSelectionReason;
}

/**
 * Picks the flow for a call from its called number: the first `Stasis(app,${EXTEN})` argument
 * when given, else the channel's dialplan extension. Numbers compare by their digits, so
 * "+48 22 …" in the config matches "4822…" from the dialplan; anything unmatched takes the default flow.
 */
export function flowSelector(flows: readonly FlowConfig[]): (stasisArgs: readonly string[], exten: string) => FlowSelection {
  const byDid = new Map<string, FlowConfig>();
  for (const flow of flows) for (const did of flow.dids) byDid.set(digitsOnly(did), flow);
  const fallback = flows.find((f) => f.default) ?? flows[0];
  if (!fallback) throw new Error('no flows configured');
  return (stasisArgs, exten) => {
    const arg = (stasisArgs[0] ?? '').trim();
    const did = arg || exten;
    const didFrom = arg ? 'stasis_arg' : 'exten';
    const digits = digitsOnly(did);
    if (!digits) return { flow: fallback, did, didFrom, reason: 'default_no_did' };
    const matched = byDid.get(digits);
    return matched ? { flow: matched, did, didFrom, reason: 'did_matched' } : { flow: fallback, did, didFrom, reason: 'default_unknown_did' };
  };
}
