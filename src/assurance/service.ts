/**
 * Recording assurance as the service, the API and the CLI use it: on-demand and scheduled runs,
 * the findings, and their acknowledgement by the DPO (one person; the reason and who gave it go to
 * the ledger as `assurance.acknowledged`).
 */
import { Cron } from 'croner';
import type { Accessor } from '../evidence/access-log.js';
import type { EvidenceWriter } from '../evidence/store.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/log.js';
import type { FindingCounts, FindingView } from './findings.js';
import type { AssuranceRepo, FindingQuery, RunTrigger, RunView } from './repo.js';
import type { AssuranceRunner, RunReport, RunStage } from './runner.js';

export type AcknowledgeResult =
  | { readonly status: 'acknowledged'; readonly finding: FindingView }
  | { readonly status: 'not_found' }
  | { readonly status: 'not_open'; readonly finding: FindingView };

export interface AssuranceStatus {
  readonly lastRun: RunView | null;
  readonly open: FindingCounts;
  readonly findings: FindingView[];
}

export interface ScheduleOptions {
  /** Cron, UTC. */
  readonly pattern: string;
  /** Each run covers this many hours, ending `settleMinutes` before it starts. */
  readonly windowHours: number;
  readonly settleMinutes: number;
}

export const MAX_REASON_LENGTH = 500;

export interface AssuranceServiceDeps {
  readonly repo: AssuranceRepo;
  readonly runner: AssuranceRunner;
  readonly evidence: EvidenceWriter;
  readonly clock: Clock;
  readonly log: Logger;
  /** After each run, for the metrics. */
  readonly onRun?: (result: 'done' | 'failed') => void;
}

export class AssuranceService {
  readonly #d: AssuranceServiceDeps;

  constructor(deps: AssuranceServiceDeps) {
    this.#d = deps;
  }

  async run(window: { from: string; to: string }, trigger: RunTrigger, onStage?: (stage: RunStage, done: number) => void): Promise<RunReport> {
    try {
      const report = await this.#d.runner.run(window, trigger, onStage);
      this.#d.onRun?.('done');
      return report;
    } catch (err) {
      this.#d.onRun?.('failed');
      throw err;
    }
  }

  async status(q: FindingQuery): Promise<AssuranceStatus> {
    const [lastRun, open, findings] = await Promise.all([this.#d.repo.lastRun(), this.#d.repo.openCounts(), this.#d.repo.findings(q)]);
    return { lastRun, open, findings };
  }

  async acknowledge(id: string, by: Accessor, reason: string): Promise<AcknowledgeResult> {
    const finding = await this.#d.repo.finding(id);
    if (!finding) return { status: 'not_found' };
    if (finding.status !== 'open') return { status: 'not_open', finding };
    const at = new Date(this.#d.clock.now()).toISOString();
    const who = by.subject ?? by.tokenName;
    await this.#d.evidence.append({
      callId: null,
      kind: 'assurance.acknowledged',
      data: { findingId: id, kind: finding.kind, subject: finding.subject, reason, by: who, tokenId: by.tokenId, role: by.role },
    });
    if (!(await this.#d.repo.acknowledge(id, who, reason, at))) return { status: 'not_open', finding: (await this.#d.repo.finding(id))! };
    return { status: 'acknowledged', finding: (await this.#d.repo.finding(id))! };
  }

  /** The daily (or as configured) run; a run still going when the next is due is skipped. Returns the stop function. */
  schedule(opts: ScheduleOptions): () => void {
    const job = new Cron(opts.pattern, { timezone: 'UTC', protect: true }, async () => {
      const to = new Date(this.#d.clock.now() - opts.settleMinutes * 60_000);
      const from = new Date(to.getTime() - opts.windowHours * 3_600_000);
      try {
        const r = await this.run({ from: from.toISOString(), to: to.toISOString() }, 'schedule');
        this.#d.log[r.open ? 'warn' : 'info']({ runId: r.runId, from: r.from, to: r.to, found: r.found, open: r.open, coverage: r.coverage }, r.open ? 'assurance run: findings open' : 'assurance run: everything reconciles');
      } catch (err) {
        this.#d.log.error({ err }, 'assurance run failed');
      }
    });
    this.#d.log.info({ schedule: opts.pattern, next: job.nextRun()?.toISOString() ?? null }, 'assurance runs scheduled');
    return () => job.stop();
  }
}
