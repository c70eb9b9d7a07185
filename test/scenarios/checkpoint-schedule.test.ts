import { afterEach, describe, expect, it } from 'vitest';
import { startScenario } from './harness.js';

let s: Awaited<ReturnType<typeof startScenario>> | undefined;
afterEach(async () => {
  await s?.stop();
  s = undefined;
});

/** A metric's value in a Prometheus text exposition. */
const metric = (text: string, name: string): number | null => {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : null;
};

describe('checkpoints on a schedule (issue 25.5)', () => {
  it('a running service signs its first checkpoint by itself once the ledger has events, and exports the gap', async () => {
    s = await startScenario();
    const before = await s.service.metrics.registry.metrics();
    expect(metric(before, 'consentline_checkpoint_lag_events')).toBe(0);
    const { outcome } = await s.call();
    expect(outcome).toBeDefined();
    // No admin signs anything: the schedule looks 5 s after start, then every 15 s.
    await expect
      .poll(
        async () => {
          const text = await s!.service.metrics.registry.metrics();
          return s!.logs.some((l) => l.msg === 'checkpoint signed') ? metric(text, 'consentline_checkpoint_lag_events') : null;
        },
        { timeout: 60_000, interval: 500 },
      )
      .toBe(0);
    const signed = s.logs.find((l) => l.msg === 'checkpoint signed')!;
    expect(signed.treeSize).toBeGreaterThan(0);
    const text = await s.service.metrics.registry.metrics();
    expect(metric(text, 'consentline_checkpoint_last_signed_timestamp_seconds')).toBeGreaterThan(0);
  }, 90_000);
});
