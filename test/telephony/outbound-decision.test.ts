import { describe, expect, it } from 'vitest';
import { decideOutbound } from '../../src/telephony/outbound-decision.js';

const marketing = { id: 'spring', purpose: 'marketing', channel: 'phone' } as const;
const service = { id: 'delivery', purpose: 'service', channel: 'phone' } as const;
const given = { state: 'given', channels: ['phone', 'sms'], seq: 41 } as const;

describe('outbound guard: the decision', () => {
  it.each([
    ['marketing, consent for phone', marketing, '+48600100200', given, { allowed: true, reason: 'marketing_consent_given', consentSeq: 41 }],
    ['marketing, consent withdrawn', marketing, '+48600100200', { ...given, state: 'withdrawn' }, { allowed: false, reason: 'marketing_consent_withdrawn', consentSeq: 41 }],
    ['marketing, consent for sms only', marketing, '+48600100200', { ...given, channels: ['sms'] }, { allowed: false, reason: 'channel_not_consented', consentSeq: 41 }],
    ['marketing, nothing on file', marketing, '+48600100200', null, { allowed: false, reason: 'no_marketing_consent', consentSeq: null }],
    ['marketing, registry down', marketing, '+48600100200', 'unavailable', { allowed: false, reason: 'registry_unavailable', consentSeq: null }],
    ['service call, nothing on file', service, '+48600100200', null, { allowed: true, reason: 'not_marketing', consentSeq: null }],
    ['unknown campaign', undefined, '+48600100200', given, { allowed: false, reason: 'unknown_campaign', consentSeq: null }],
    ['not a number', service, null, null, { allowed: false, reason: 'invalid_number', consentSeq: null }],
  ] as const)('%s', (_what, campaign, number, registry, want) => {
    expect(decideOutbound(campaign, number, registry)).toEqual(want);
  });
});
