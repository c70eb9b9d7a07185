import { describe, expect, it } from 'vitest';
import { OutboundConfigSchema } from '../../src/config/outbound-schema.js';
import type { NewEvent, StoredEvent } from '../../src/evidence/types.js';
import { AriRequestError, type ChannelInfo, type ChannelOps } from '../../src/telephony/ari/port.js';
import { outboundGuard } from '../../src/telephony/outbound-guard.js';
import { captureLogger } from './ari/helpers.js';

// The outbound guard's faults: each must end with the number not dialled.
const outbound = OutboundConfigSchema.parse({ dialRoute: 'dial', refusedRoute: 'refused', campaigns: [{ id: 'spring', purpose: 'marketing' }] });
const routes = { dial: { context: 'consentline-outbound-dial', extension: 'dial', priority: 1 }, refused: { context: 'consentline-outbound-dial', extension: 'refused', priority: 1 } };
const channel = (args: string[]): ChannelInfo => ({ id: 'ch-1', name: 'Local/x', callerNumber: '', callerName: '', dialedExten: '600100200', language: 'pl', args, state: 'Down' });

function fakes(o: { appendFails?: boolean; continueFails?: number } = {}) {
  const calls: string[] = [];
  const events: NewEvent[] = [];
  const ops: ChannelOps = {
    answer: async () => undefined,
    play: async () => undefined,
    stopPlayback: async () => undefined,
    setVariable: async (_id, name, value) => void calls.push(`set ${name}=${value}`),
    setVariables: async (_id, vars) => void vars.forEach(([name, value]) => calls.push(`set ${name}=${value}`)),
    continueInDialplan: async (_id, t) => {
      if (o.continueFails) throw new AriRequestError('continue', o.continueFails, 'refused');
      calls.push(`continue ${t.extension}`);
    },
    hangup: async () => void calls.push('hangup'),
  };
  const evidence = {
    append: async (e: NewEvent): Promise<StoredEvent> => {
      if (o.appendFails) throw new Error('disk full');
      events.push(e);
      return { ...e, seq: events.length, at: '', prevHash: '', hash: '' } as StoredEvent;
    },
  };
  return { ops, evidence, calls, events };
}

const given = async () => ({ state: 'given' as const, channels: ['phone'], seq: 7 });

describe('outbound guard', () => {
  it('allowed: the reason, then CONSENT_OUTBOUND=allowed last, then the dial route; the ledger first', async () => {
    const f = fakes();
    const { logger } = captureLogger();
    const guard = outboundGuard({ outbound, routes, evidence: f.evidence, log: logger, normalize: () => '+48600100200', marketingState: given });
    expect(await guard(channel(['outbound', 'spring', '600100200']), f.ops)).toEqual({ allowed: true, reason: 'marketing_consent_given', consentSeq: 7 });
    expect(f.calls).toEqual(['set CONSENT_OUTBOUND_REASON=marketing_consent_given', 'set CONSENT_OUTBOUND=allowed', 'continue dial']);
    expect(f.events[0]).toMatchObject({ callId: null, kind: 'outbound.checked', data: { decision: 'allowed', number: '+48 *** *** *00', consentSeq: 7 } });
  });

  it('the ledger refuses the decision: the call is refused, never dialled', async () => {
    const f = fakes({ appendFails: true });
    const { logger, lines } = captureLogger();
    const guard = outboundGuard({ outbound, routes, evidence: f.evidence, log: logger, normalize: () => '+48600100200', marketingState: given });
    expect(await guard(channel(['outbound', 'spring', '600100200']), f.ops)).toMatchObject({ allowed: false, reason: 'evidence_unavailable' });
    expect(f.calls).toEqual(['set CONSENT_OUTBOUND_REASON=evidence_unavailable', 'set CONSENT_OUTBOUND=refused', 'continue refused']);
    expect(lines.some((l) => l.msg === 'evidence store refused outbound.checked: call refused')).toBe(true);
  });

  it('the registry does not answer: refused (registry_unavailable)', async () => {
    const f = fakes();
    const { logger } = captureLogger();
    const guard = outboundGuard({ outbound, routes, evidence: f.evidence, log: logger, normalize: () => '+48600100200', marketingState: async () => Promise.reject(new Error('db locked')) });
    expect(await guard(channel(['outbound', 'spring', '600100200']), f.ops)).toMatchObject({ allowed: false, reason: 'registry_unavailable' });
    expect(f.calls.at(-1)).toBe('continue refused');
  });

  it('the continue fails: the channel is hung up, not left to the dialplan', async () => {
    const f = fakes({ continueFails: 500 });
    const { logger } = captureLogger();
    const guard = outboundGuard({ outbound, routes, evidence: f.evidence, log: logger, normalize: () => '+48600100200', marketingState: given });
    await guard(channel(['outbound', 'spring', '600100200']), f.ops);
    expect(f.calls.at(-1)).toBe('hangup');
  });

  it('no outbound section in the config: hung up, nothing written', async () => {
    const f = fakes();
    const { logger } = captureLogger();
    const guard = outboundGuard({ outbound: undefined, routes, evidence: f.evidence, log: logger, normalize: () => '+48600100200', marketingState: given });
    expect(await guard(channel(['outbound', 'spring', '600100200']), f.ops)).toBeNull();
    expect(f.calls).toEqual(['hangup']);
    expect(f.events).toEqual([]);
  });
});
