/**
 * The outbound guard's decisions on the running service's /metrics (issue 22): campaign calls
 * placed through the ARI emulator's `consentline-outbound` context, scraped as Prometheus does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTBOUND_REASONS } from '../../src/telephony/outbound-decision.js';
import { outboundTop, startScenario, type Scenario } from '../scenarios/harness.js';
import { sampleValue } from './promtool.js';

const METRIC = 'consentline_outbound_decisions_total';
const count = (text: string, decision: string, reason: string) => sampleValue(text, METRIC, `decision="${decision}",reason="${reason}"`);

let s: Scenario;
beforeAll(async () => {
  s = await startScenario({
    top: outboundTop([
      { id: 'spring', purpose: 'marketing' },
      { id: 'delivery', purpose: 'service' },
    ]),
  });
}, 60_000);
afterAll(async () => s?.stop());

async function scrape(): Promise<string> {
  const res = await fetch(`${s.service.opsUrl!}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

/** A dialer's campaign call; where it went. */
async function dial(campaign: string, number: string): Promise<string | undefined> {
  const { outcome } = await s.campaignCall(campaign, number);
  return outcome.kind === 'continued' ? outcome.target.extension : outcome.kind;
}

describe('outbound guard decisions on /metrics', () => {
  it('every decision and reason is there at 0 before any campaign call', async () => {
    const text = await scrape();
    for (const decision of ['allowed', 'refused'] as const) for (const reason of OUTBOUND_REASONS[decision]) expect(count(text, decision, reason)).toBe(0);
    // Allowed and refused reasons do not mix.
    expect(count(text, 'allowed', 'no_marketing_consent')).toBeNull();
  });

  it('counts each call the guard checked under its decision and reason, and nothing else', async () => {
    expect(await dial('delivery', '+48600999111')).toBe('dial');
    expect(await dial('delivery', '+48600999112')).toBe('dial');
    expect(await dial('spring', '+48600999111')).toBe('refused'); // no marketing consent on file
    expect(await dial('no-such-campaign', '+48600999111')).toBe('refused');
    expect(await dial('delivery', 'not-a-number')).toBe('refused');
    const text = await scrape();
    expect(count(text, 'allowed', 'not_marketing')).toBe(2);
    expect(count(text, 'refused', 'no_marketing_consent')).toBe(1);
    expect(count(text, 'refused', 'unknown_campaign')).toBe(1);
    expect(count(text, 'refused', 'invalid_number')).toBe(1);
    expect(count(text, 'allowed', 'marketing_consent_given')).toBe(0);
    expect(count(text, 'refused', 'evidence_unavailable')).toBe(0);
    const total = [...text.matchAll(new RegExp(`^${METRIC}\\{[^}]*\\} (\\d+)$`, 'gm'))].reduce((n, m) => n + Number(m[1]), 0);
    expect(total).toBe(5);
    // The caller-to-be's number is never a label.
    expect(text).not.toContain('600999111');
  });
});
