import { describe, expect, it } from 'vitest';
import type { Checkpoint, CheckpointService, CreateCheckpointResult } from '../../src/evidence/checkpoint.js';
import { countCheckpointRefusals, wireMetricProbes } from '../../src/service-metrics.js';
import { createMetrics } from '../../src/shared/metrics.js';
import type { CallFleet } from '../../src/telephony/call-fleet.js';
import { sampleValue } from './promtool.js';

const checkpoint = { treeSize: 7, createdAt: '2026-01-02T03:04:05.000Z' } as Checkpoint;
const broken = { ok: false, reason: 'ledger_broken', verify: { ok: false, checked: 3, brokenAt: 4, reason: 'hash_mismatch' } } as unknown as CreateCheckpointResult;
const inconsistent = { ok: false, reason: 'inconsistent_with_previous', previous: checkpoint } as CreateCheckpointResult;
const signed = { ok: true, checkpoint, created: true } as CreateCheckpointResult;

function fakeCheckpoints(results: CreateCheckpointResult[], latest: Checkpoint | null = null) {
  return { create: async () => results.shift()!, latest: async () => latest } as unknown as CheckpointService;
}
const fleet = { activeCalls: 2, links: [{ name: 'pbx1', ari: { connected: true, listAppChannels: async () => ['c1', 'c2', 'c3'] } }] } as unknown as CallFleet;

describe('service metrics wiring', () => {
  it('counts refused checkpoints as ledger or checkpoint verification failures, and passes results through', async () => {
    const metrics = createMetrics();
    const checkpoints = fakeCheckpoints([signed, broken, inconsistent, broken]);
    countCheckpointRefusals(checkpoints, metrics);
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await checkpoints.create());
    expect(results).toEqual([signed, broken, inconsistent, broken]);
    const text = await metrics.registry.metrics();
    expect(sampleValue(text, 'consentline_verification_failures_total', 'check="ledger"')).toBe(2);
    expect(sampleValue(text, 'consentline_verification_failures_total', 'check="checkpoint"')).toBe(1);
    expect(sampleValue(text, 'consentline_verification_failures_total', 'check="recording"')).toBe(0);
  });

  it('checkpoint gauges: 0 and the whole ledger while there is no checkpoint; its time and the events past it after', async () => {
    const none = createMetrics();
    wireMetricProbes(none, { calls: fleet, recordings: null, checkpoints: fakeCheckpoints([]), store: { head: async () => ({ seq: 12, hash: 'h' }) } });
    let text = await none.registry.metrics();
    expect(sampleValue(text, 'consentline_checkpoint_last_signed_timestamp_seconds')).toBe(0);
    expect(sampleValue(text, 'consentline_checkpoint_lag_events')).toBe(12);
    const some = createMetrics();
    wireMetricProbes(some, { calls: fleet, recordings: null, checkpoints: fakeCheckpoints([], checkpoint), store: { head: async () => ({ seq: 12, hash: 'h' }) } });
    text = await some.registry.metrics();
    expect(sampleValue(text, 'consentline_checkpoint_last_signed_timestamp_seconds')).toBe(Date.parse(checkpoint.createdAt) / 1000);
    expect(sampleValue(text, 'consentline_checkpoint_lag_events')).toBe(5);
    expect(sampleValue(text, 'consentline_active_calls')).toBe(2);
    expect(sampleValue(text, 'consentline_ari_connected', 'server="pbx1"')).toBe(1);
    expect(sampleValue(text, 'consentline_asterisk_stasis_channels', 'server="pbx1"')).toBe(3);
  });

  it('a database that does not answer leaves the checkpoint gauges as they were, and the scrape still works', async () => {
    const metrics = createMetrics();
    let up = true;
    const store = { head: async () => (up ? { seq: 9, hash: 'h' } : Promise.reject(new Error('connection refused'))) };
    wireMetricProbes(metrics, { calls: fleet, recordings: null, checkpoints: fakeCheckpoints([], checkpoint), store });
    expect(sampleValue(await metrics.registry.metrics(), 'consentline_checkpoint_lag_events')).toBe(2);
    up = false;
    const text = await metrics.registry.metrics();
    expect(sampleValue(text, 'consentline_checkpoint_lag_events')).toBe(2);
    expect(sampleValue(text, 'consentline_checkpoint_last_signed_timestamp_seconds')).toBe(Date.parse(checkpoint.createdAt) / 1000);
  });

  it('an empty ledger has no lag; with recordings off there is no AMI gauge to read as down', async () => {
    const metrics = createMetrics();
    expect(await metrics.registry.metrics()).toContain('consentline_ami_connected');
    wireMetricProbes(metrics, { calls: fleet, recordings: null, checkpoints: fakeCheckpoints([]), store: { head: async () => null } });
    const text = await metrics.registry.metrics();
    expect(sampleValue(text, 'consentline_checkpoint_lag_events')).toBe(0);
    expect(text).not.toContain('consentline_ami_connected');
  });
});
