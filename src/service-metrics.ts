import type { CheckpointService } from './evidence/checkpoint.js';
import type { LedgerAudit } from './evidence/ledger-audit.js';
import type { EvidenceStore, EvidenceWriter } from './evidence/store.js';
import type { RecordingsRuntime } from './recordings/pipeline/build.js';
import type { Metrics } from './shared/metrics.js';
import type { CallFleet } from './telephony/call-fleet.js';
import { OUTBOUND_REASONS, type OutboundDecision } from './telephony/outbound-decision.js';

/** Points the scrape-time gauges at the live objects (composition root only). */
export function wireMetricProbes(
  metrics: Metrics,
  live: { calls: CallFleet; recordings: RecordingsRuntime | null; checkpoints: CheckpointService; store: Pick<EvidenceStore, 'head'> },
): void {
  const { calls, recordings, checkpoints, store } = live;
  metrics.probes.activeCalls = () => calls.activeCalls;
  metrics.probes.stasisChannels = async () =>
    Object.fromEntries(await Promise.all(calls.links.map(async (l) => [l.name, await l.ari.listAppChannels().then((ids) => ids.length, () => null)])));
  metrics.probes.ariConnected = () => Object.fromEntries(calls.links.map((l) => [l.name, l.ari.connected]));
  metrics.probes.checkpoint = async () => {
    const read = await Promise.all([checkpoints.latest(), store.head()]).catch(() => null);
    if (!read) return null;
    const [latest, head] = read;
    const headSeq = head?.seq ?? 0;
    if (!latest) return { signedAtMs: null, eventsSince: headSeq };
    return { signedAtMs: Date.parse(latest.createdAt), eventsSince: Math.max(0, headSeq - latest.treeSize) };
  };
  // No AMI link is wanted while recordings are off: absent, rather than a 0 that reads as "down".
  if (!recordings) metrics.registry.removeSingleMetric('consentline_ami_connected');
  if (recordings) {
    metrics.probes.amiConnected = () => recordings.watcher?.connected ?? false;
    metrics.probes.uploadQueueDepth = () => recordings.pipeline.queueStats().depth;
    metrics.probes.uploadOldestAgeSeconds = () => recordings.pipeline.queueStats().oldestAgeSeconds;
  }
}

/**
 * Counts the checkpoints refused because the ledger failed its check: `ledger` when the hash
 * chain is broken, `checkpoint` when the ledger no longer holds the last signed checkpoint.
 * Every signing goes through `create`, the timer's as well as the API's.
 */
export function countCheckpointRefusals(checkpoints: CheckpointService, metrics: Metrics): void {
  const create = checkpoints.create.bind(checkpoints);
  checkpoints.create = async (opts) => {
    const result = await create(opts);
    if (!result.ok) metrics.verificationFailures.inc({ check: result.reason === 'ledger_broken' ? 'ledger' : 'checkpoint' });
    return result;
  };
}

/** Counts a failed `GET /ledger/verify`: `ledger` when the hash chain is broken, else `checkpoint`. */
export function countAuditFailures(metrics: Metrics): (audit: LedgerAudit) => void {
  return (audit) => {
    if (audit.ok) return;
    metrics.verificationFailures.inc({ check: audit.chain.ok ? 'checkpoint' : 'ledger' });
  };
}

/**
 * Counts the outbound guard's decisions, allowed or refused, by reason. Every pair of the closed
 * sets is there at 0 from the start, so `increase()` sees the first refusal.
 */
export function countOutboundDecisions(metrics: Metrics): (decision: OutboundDecision) => void {
  for (const decision of ['allowed', 'refused'] as const) for (const reason of OUTBOUND_REASONS[decision]) metrics.outboundDecisions.inc({ decision, reason }, 0);
  return (d) => metrics.outboundDecisions.inc({ decision: d.allowed ? 'allowed' : 'refused', reason: d.reason });
}

/** The ledger as the call flow sees it, with the append latency and failures measured. */
export function timedWriter(store: EvidenceWriter, metrics: Metrics): EvidenceWriter {
  return {
    async append(event, effects) {
      const end = metrics.ledgerAppendSeconds.startTimer();
      try {
        return await store.append(event, effects);
      } catch (err) {
        metrics.failures.inc({ kind: 'evidence_write' });
        throw err;
      } finally {
        end();
      }
    },
  };
}
