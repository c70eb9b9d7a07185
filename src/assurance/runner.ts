/**
 * One assurance run: reads the three sources for a window, reconciles them, records the findings
 * and writes `assurance.run` to the ledger, so the audit trail shows the check was made (also
 * when it failed).
 */
import { randomUUID } from 'node:crypto';
import type { AssuranceLedger } from '../evidence/assurance-ledger.js';
import type { EvidenceWriter } from '../evidence/store.js';
import type { JsonValue } from '../evidence/types.js';
import type { ObjectStore } from '../recordings/storage/port.js';
import type { Clock } from '../shared/clock.js';
import { countByKind, findingId, type FindingCounts, type FindingView } from './findings.js';
import { reconcile, type ReconcileResult } from './reconcile.js';
import type { AssuranceRepo, RunTrigger } from './repo.js';

/** Records of an Asterisk call and the ledger's call may be this far apart in time (clock skew, slow start). */
const EDGE_MS = 10 * 60_000;
/** The longest window one run reconciles. */
export const MAX_WINDOW_DAYS = 92;

export interface AssuranceRunnerDeps {
  readonly repo: AssuranceRepo;
  readonly ledger: AssuranceLedger;
  readonly evidence: EvidenceWriter;
  /** Null when no recordings store is configured: the stored objects are then not listed. */
  readonly store: Pick<ObjectStore, 'head' | 'list'> | null;
  readonly clock: Clock;
  readonly stasisApp: string;
  readonly stuckAfterMinutes: number;
}

export interface RunReport {
  readonly runId: string;
  readonly trigger: RunTrigger;
  readonly from: string;
  readonly to: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** What this run found, by kind. */
  readonly found: FindingCounts;
  /** Findings new (or back) in this run, and open ones of the window it no longer saw. */
  readonly opened: number;
  readonly resolved: number;
  readonly coverage: ReconcileResult['coverage'];
  /** What this run found, as stored: `open` ones need attention, `acknowledged` ones were explained. */
  readonly findings: FindingView[];
  /** Open findings of this run: the CLI exits 1 when there are any. */
  readonly open: number;
}

export type RunStage = 'asterisk' | 'ledger' | 'recordings' | 'store' | 'reconcile' | 'record';

export class AssuranceRunner {
  readonly #d: AssuranceRunnerDeps;

  constructor(deps: AssuranceRunnerDeps) {
    this.#d = deps;
  }

  async run(window: { from: string; to: string }, trigger: RunTrigger, onStage?: (stage: RunStage, done: number) => void): Promise<RunReport> {
    const d = this.#d;
    const { from, to } = window;
    if (!(from < to)) throw new RangeError('the window must end after it starts');
    if (Date.parse(to) - Date.parse(from) > MAX_WINDOW_DAYS * 86_400_000) throw new RangeError(`a window covers at most ${MAX_WINDOW_DAYS} days`);
    const runId = randomUUID();
    const startedAt = new Date(d.clock.now()).toISOString();
    await d.repo.startRun({ id: runId, startedAt, from, to, trigger });
    try {
      const wide = { from: shift(from, -EDGE_MS), to: shift(to, EDGE_MS) };
      const stuckBefore = new Date(d.clock.now() - d.stuckAfterMinutes * 60_000).toISOString();
      let stage = 0;
      const cel = await d.repo.celOfCallsBetween(wide.from, wide.to);
      onStage?.('asterisk', ++stage);
      const calls = await d.ledger.callsBetween(wide.from, wide.to);
      const unattached = await d.ledger.unattachedRecordingEvents(from, to);
      onStage?.('ledger', ++stage);
      const rows = await d.repo.pipelineRows(from, to, stuckBefore);
      const known = new Set(calls.map((c) => c.callId));
      const named = [...new Set(rows.map((r) => r.callId).filter((id): id is string => id !== null && !known.has(id)))];
      const allCalls = named.length ? [...calls, ...(await d.ledger.callsByIds(named))] : calls;
      onStage?.('recordings', ++stage);
      const objects = await this.#objects(from, to, rows);
      onStage?.('store', ++stage);
      const result = reconcile({ from, to, stuckBefore, stasisApp: d.stasisApp, cel, calls: allCalls, unattached, rows, ...objects });
      onStage?.('reconcile', ++stage);
      const finishedAt = new Date(d.clock.now()).toISOString();
      const { opened, resolved } = await d.repo.recordFindings(runId, finishedAt, window, result.findings);
      const found = countByKind(result.findings);
      const stored = await Promise.all(result.findings.map((f) => d.repo.finding(findingId(f.kind, f.subject))));
      const findings = stored.filter((f): f is FindingView => f !== null);
      const open = findings.filter((f) => f.status === 'open').length;
      const summary = { found, opened, resolved, open, coverage: result.coverage };
      await d.evidence.append({ callId: null, kind: 'assurance.run', data: { runId, trigger, from, to, status: 'done', ...(summary as unknown as { [k: string]: JsonValue }) } });
      await d.repo.finishRun(runId, 'done', finishedAt, summary);
      onStage?.('record', ++stage);
      return { runId, trigger, from, to, startedAt, finishedAt, found, opened, resolved, coverage: result.coverage, findings, open };
    } catch (err) {
      const error = err instanceof Error ? err.message.slice(0, 200) : 'unknown error';
      const at = new Date(d.clock.now()).toISOString();
      await d.evidence.append({ callId: null, kind: 'assurance.run', data: { runId, trigger, from, to, status: 'failed', error } }).catch(() => undefined);
      await d.repo.finishRun(runId, 'failed', at, { error }).catch(() => undefined);
      throw err;
    }
  }

  /** Objects under the window's days that no row names, and stored recordings the store lost. */
  async #objects(from: string, to: string, rows: Awaited<ReturnType<AssuranceRepo['pipelineRows']>>) {
    const store = this.#d.store;
    const expected = rows.filter((r) => r.state === 'done' && r.disposition === 'keep' && r.objectKey !== null && r.startedAt >= from && r.startedAt < to).map((r) => r.objectKey!);
    if (!store) return { strayObjects: null, missingObjects: [] };
    if (!store.list) {
      const missing = [];
      for (const key of expected) if ((await store.head(key)) === null) missing.push(key);
      return { strayObjects: null, missingObjects: missing };
    }
    const listed = new Set<string>();
    for (const day of daysOf(from, to)) for (const prefix of [`recordings/${day}/`, `quarantine/${day}/`]) for (const key of await store.list(prefix)) listed.add(key);
    const known = await this.#d.repo.knownObjectKeys([...listed]);
    return { strayObjects: [...listed].filter((k) => !known.has(k)).sort(), missingObjects: expected.filter((k) => !listed.has(k)) };
  }
}

function shift(iso: string, ms: number): string {
  return new Date(Date.parse(iso) + ms).toISOString();
}

/** `YYYY/MM/DD` of every UTC day [from, to) touches, as object keys spell them. */
export function daysOf(from: string, to: string): string[] {
  const days: string[] = [];
  const end = Date.parse(to);
  for (let t = Date.parse(from.slice(0, 10)); t < end; t += 86_400_000) days.push(new Date(t).toISOString().slice(0, 10).replaceAll('-', '/'));
  return days;
}
