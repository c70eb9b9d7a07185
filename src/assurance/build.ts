/**
 * Recording assurance as the service runs it: CEL collection on the recordings AMI link, the
 * runner and its schedule, the metrics. The composition root owns the result and stops it.
 */
import type { AssuranceConfig } from '../config/assurance-schema.js';
import type { AssuranceLedger } from '../evidence/assurance-ledger.js';
import type { EvidenceWriter } from '../evidence/store.js';
import type { AmiWatcher } from '../recordings/ami/watcher.js';
import type { ObjectStore } from '../recordings/storage/port.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/log.js';
import type { Metrics } from '../shared/metrics.js';
import { CelCollector } from './collector.js';
import type { AssuranceRepo } from './repo.js';
import { AssuranceRunner } from './runner.js';
import { AssuranceService } from './service.js';

export interface AssuranceRuntime {
  readonly service: AssuranceService;
  /** Null without an AMI watcher (recordings off): runs then have no Asterisk records to compare. */
  readonly collector: CelCollector | null;
  /** Starts the schedule (when `assurance.enabled`). */
  start(): void;
  stop(): Promise<void>;
}

export function createAssurance(
  config: { readonly assurance: AssuranceConfig; readonly stasisApp: string },
  deps: {
    readonly repo: AssuranceRepo;
    readonly ledger: AssuranceLedger;
    readonly evidence: EvidenceWriter;
    readonly store: ObjectStore | null;
    readonly watcher: AmiWatcher | null;
    readonly clock: Clock;
    readonly log: Logger;
    readonly metrics: Metrics;
  },
): AssuranceRuntime {
  const log = deps.log.child({ component: 'assurance' });
  const { repo, metrics } = deps;
  const runner = new AssuranceRunner({ ...deps, stasisApp: config.stasisApp, stuckAfterMinutes: config.assurance.stuckAfterMinutes });
  const service = new AssuranceService({
    repo,
    runner,
    evidence: deps.evidence,
    clock: deps.clock,
    log,
    onRun: (result) => metrics.assuranceRuns.inc({ result }),
  });
  metrics.probes.assurance = async () => {
    const read = await Promise.all([repo.openCounts(), repo.lastRun('done')]).catch(() => null);
    if (!read) return null;
    const [open, last] = read;
    return { open, lastRunAtMs: last?.finishedAt ? Date.parse(last.finishedAt) : null };
  };
  const collector = deps.watcher ? new CelCollector({ repo, clock: deps.clock, log }, { retentionDays: config.assurance.asteriskRecordDays }) : null;
  const unsubscribe = deps.watcher && collector ? deps.watcher.on('cel', (c) => collector.add(c)) : () => undefined;
  if (!collector) log.warn('no AMI link (recordings off): assurance runs will have no Asterisk records to compare with the ledger');
  let stopSchedule: () => void = () => undefined;
  return {
    service,
    collector,
    start() {
      if (config.assurance.enabled) stopSchedule = service.schedule({ pattern: config.assurance.schedule, windowHours: config.assurance.windowHours, settleMinutes: config.assurance.settleMinutes });
    },
    async stop() {
      stopSchedule();
      unsubscribe();
      await collector?.stop();
    },
  };
}
