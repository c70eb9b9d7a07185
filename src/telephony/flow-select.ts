import type { FlowConfig } from '../config/schema.js';

const digitsOnly = (s: string) => s.replace(/[^0-9]/g, '');

/**
 * Picks the flow for a called number (DID). Numbers compare by their digits, so "+48 22 …"
 * in the config matches "4822…" from the dialplan; anything unmatched takes the default flow.
 */
export function flowSelector(flows: readonly FlowConfig[]): (did: string) => FlowConfig {
  const byDid = new Map<string, FlowConfig>();
  for (const flow of flows) for (const did of flow.dids) byDid.set(digitsOnly(did), flow);
  const fallback = flows.find((f) => f.default) ?? flows[0];
  if (!fallback) throw new Error('no flows configured');
  return (did) => byDid.get(digitsOnly(did)) ?? fallback;
}
