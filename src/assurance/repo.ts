/**
 * Assurance's tables (migration 0080: asterisk_cel, assurance_runs, assurance_findings) and its
 * reads of the recordings pipeline's table, on either engine through {@link SqlExec}.
 */
import type { CelRecord } from '../recordings/ami/cel.js';
import { FINDING_KINDS, findingId, zeroCounts, type Finding, type FindingCounts, type FindingKind, type FindingStatus, type FindingView } from './findings.js';
import type { CelRow, PipelineRow } from './reconcile.js';
import type { SqlExec } from './sql.js';

export type RunTrigger = 'schedule' | 'cli' | 'api';

export interface RunView {
  readonly id: string;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly from: string;
  readonly to: string;
  readonly trigger: RunTrigger;
  readonly status: 'running' | 'done' | 'failed';
  readonly summary: Record<string, unknown> | null;
}

export interface FindingQuery {
  readonly status?: FindingStatus;
  readonly kind?: FindingKind;
  /** Occurred at or after / before (ISO-8601). */
  readonly from?: string;
  readonly to?: string;
  readonly limit: number;
}

export interface UpsertOutcome {
  readonly opened: number;
  readonly resolved: number;
}

const CEL_COLS = 'id, received_at, event_time, event_name, uniqueid, linkedid, channel_tech, context, application, app_arg';
const ROW_COLS = `id, call_id, source, source_name, linkedid, state, disposition, quarantine_reason, started_at, plaintext_sha256, object_key, attempts, last_error, created_at, updated_at`;
const FINDING_COLS = 'id, kind, subject, call_id, recording_id, occurred_at, detail, status, first_run, last_run, first_seen_at, last_seen_at, acknowledged_by, acknowledged_at, ack_reason';
const UNFINISHED_SQL = `('captured', 'spooled', 'encrypted', 'uploaded', 'verified')`;
const CHUNK = 500;

type Rec = Record<string, unknown>;
const str = (v: unknown) => (v === null || v === undefined ? null : String(v));

const toCel = (r: Rec): CelRow => ({
  id: Number(r.id),
  receivedAt: String(r.received_at),
  eventTime: String(r.event_time),
  eventName: r.event_name as CelRow['eventName'],
  uniqueid: String(r.uniqueid),
  linkedid: String(r.linkedid),
  channelTech: String(r.channel_tech),
  context: String(r.context),
  application: String(r.application),
  appArg: String(r.app_arg),
});

const toRow = (r: Rec): PipelineRow => ({
  id: String(r.id),
  callId: str(r.call_id),
  source: String(r.source),
  sourceName: String(r.source_name),
  linkedid: str(r.linkedid),
  state: String(r.state),
  disposition: (r.disposition as PipelineRow['disposition']) ?? null,
  quarantineReason: str(r.quarantine_reason),
  startedAt: String(r.started_at),
  plaintextSha256: str(r.plaintext_sha256),
  objectKey: str(r.object_key),
  attempts: Number(r.attempts),
  lastError: str(r.last_error),
  createdAt: String(r.created_at),
  updatedAt: String(r.updated_at),
});

const toFinding = (r: Rec): FindingView => ({
  id: String(r.id),
  kind: r.kind as FindingKind,
  subject: String(r.subject),
  callId: str(r.call_id),
  recordingId: str(r.recording_id),
  occurredAt: String(r.occurred_at),
  detail: JSON.parse(String(r.detail)) as FindingView['detail'],
  status: r.status as FindingStatus,
  firstRun: String(r.first_run),
  lastRun: String(r.last_run),
  firstSeenAt: String(r.first_seen_at),
  lastSeenAt: String(r.last_seen_at),
  acknowledgedBy: str(r.acknowledged_by),
  acknowledgedAt: str(r.acknowledged_at),
  ackReason: str(r.ack_reason),
});

const toRun = (r: Rec): RunView => ({
  id: String(r.id),
  startedAt: String(r.started_at),
  finishedAt: str(r.finished_at),
  from: String(r.window_from),
  to: String(r.window_to),
  trigger: r.trigger as RunTrigger,
  status: r.status as RunView['status'],
  summary: r.summary === null || r.summary === undefined ? null : (JSON.parse(String(r.summary)) as Record<string, unknown>),
});

export class AssuranceRepo {
  readonly #x: SqlExec;

  constructor(x: SqlExec) {
    this.#x = x;
  }

  // ---- Asterisk's records -----------------------------------------------------------

  async insertCel(records: ReadonlyArray<{ readonly receivedAt: string; readonly cel: CelRecord }>): Promise<void> {
    if (records.length === 0) return;
    await this.#x.tx(async (x) => {
      for (const { receivedAt, cel: c } of records) {
        await x.run(
          'INSERT INTO asterisk_cel (received_at, event_time, event_name, uniqueid, linkedid, channel_tech, context, application, app_arg) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
          [receivedAt, c.eventTime, c.eventName, c.uniqueid, c.linkedid, c.channelTech, c.context, c.application, c.appArg],
        );
      }
    });
  }

  /** Every record of the Asterisk calls (linkedids) that have a record received in [from, to). */
  async celOfCallsBetween(from: string, to: string): Promise<CelRow[]> {
    const rows = await this.#x.all<Rec>(
      `SELECT ${CEL_COLS} FROM asterisk_cel WHERE linkedid IN (SELECT linkedid FROM asterisk_cel WHERE received_at >= ? AND received_at < ?) ORDER BY id`,
      [from, to],
    );
    return rows.map(toCel);
  }

  /** Deletes records received before `before`; returns how many. */
  pruneCel(before: string): Promise<number> {
    return this.#x.run('DELETE FROM asterisk_cel WHERE received_at < ?', [before]);
  }

  // ---- the recordings pipeline's rows --------------------------------------------------

  /** Rows whose recording started in [from, to), and every unfinished row created before `stuckBefore`. */
  async pipelineRows(from: string, to: string, stuckBefore: string): Promise<PipelineRow[]> {
    const rows = await this.#x.all<Rec>(
      `SELECT ${ROW_COLS} FROM recordings WHERE (started_at >= ? AND started_at < ?) OR (state IN ${UNFINISHED_SQL} AND created_at < ?) ORDER BY started_at, id`,
      [from, to, stuckBefore],
    );
    return rows.map(toRow);
  }

  /** The keys among `keys` that some pipeline row names. */
  async knownObjectKeys(keys: readonly string[]): Promise<Set<string>> {
    const known = new Set<string>();
    for (let i = 0; i < keys.length; i += CHUNK) {
      const part = keys.slice(i, i + CHUNK);
      const rows = await this.#x.all<Rec>(`SELECT object_key FROM recordings WHERE object_key IN (${part.map(() => '?').join(', ')})`, part);
      for (const r of rows) known.add(String(r.object_key));
    }
    return known;
  }

  // ---- runs ------------------------------------------------------------------------------

  async startRun(run: { id: string; startedAt: string; from: string; to: string; trigger: RunTrigger }): Promise<void> {
    await this.#x.run("INSERT INTO assurance_runs (id, started_at, window_from, window_to, trigger, status) VALUES (?, ?, ?, ?, ?, 'running')", [run.id, run.startedAt, run.from, run.to, run.trigger]);
  }

  async finishRun(id: string, status: 'done' | 'failed', finishedAt: string, summary: Record<string, unknown>): Promise<void> {
    await this.#x.run('UPDATE assurance_runs SET status = ?, finished_at = ?, summary = ? WHERE id = ?', [status, finishedAt, JSON.stringify(summary), id]);
  }

  async lastRun(status?: 'done'): Promise<RunView | null> {
    const rows = await this.#x.all<Rec>(`SELECT * FROM assurance_runs ${status ? 'WHERE status = ?' : ''} ORDER BY started_at DESC, id DESC LIMIT 1`, status ? [status] : []);
    return rows[0] ? toRun(rows[0]) : null;
  }

  // ---- findings -----------------------------------------------------------------------------

  /**
   * Records what run `runId` over [from, to) found: new findings open, known ones are seen again
   * (a resolved one opens again; an acknowledged one stays acknowledged), and open findings of the
   * window (any stuck recording) that the run no longer saw are resolved.
   */
  async recordFindings(runId: string, at: string, window: { from: string; to: string }, findings: readonly Finding[]): Promise<UpsertOutcome> {
    return this.#x.tx(async (x) => {
      let opened = 0;
      for (const f of findings) {
        const id = findingId(f.kind, f.subject);
        const detail = JSON.stringify(f.detail);
        const existing = await x.all<Rec>('SELECT status FROM assurance_findings WHERE id = ?', [id]);
        if (existing.length === 0) {
          opened++;
          await x.run(
            `INSERT INTO assurance_findings (${FINDING_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?, NULL, NULL, NULL)`,
            [id, f.kind, f.subject, f.callId, f.recordingId, f.occurredAt, detail, runId, runId, at, at],
          );
        } else {
          if (existing[0]!.status === 'resolved') opened++;
          await x.run(
            "UPDATE assurance_findings SET detail = ?, last_run = ?, last_seen_at = ?, status = CASE WHEN status = 'resolved' THEN 'open' ELSE status END WHERE id = ?",
            [detail, runId, at, id],
          );
        }
      }
      const resolved = await x.run(
        `UPDATE assurance_findings SET status = 'resolved' WHERE status = 'open' AND last_run <> ?
          AND (kind = 'recording_stuck' OR (occurred_at >= ? AND occurred_at < ?))`,
        [runId, window.from, window.to],
      );
      return { opened, resolved };
    });
  }

  async findings(q: FindingQuery): Promise<FindingView[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.status) (where.push('status = ?'), params.push(q.status));
    if (q.kind) (where.push('kind = ?'), params.push(q.kind));
    if (q.from) (where.push('occurred_at >= ?'), params.push(q.from));
    if (q.to) (where.push('occurred_at < ?'), params.push(q.to));
    params.push(q.limit);
    const rows = await this.#x.all<Rec>(`SELECT ${FINDING_COLS} FROM assurance_findings ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY occurred_at, id LIMIT ?`, params);
    return rows.map(toFinding);
  }

  async finding(id: string): Promise<FindingView | null> {
    const rows = await this.#x.all<Rec>(`SELECT ${FINDING_COLS} FROM assurance_findings WHERE id = ?`, [id]);
    return rows[0] ? toFinding(rows[0]) : null;
  }

  /** Acknowledges an open finding; false when it is not open (already acknowledged, or resolved). */
  async acknowledge(id: string, by: string, reason: string, at: string): Promise<boolean> {
    const n = await this.#x.run(
      "UPDATE assurance_findings SET status = 'acknowledged', acknowledged_by = ?, acknowledged_at = ?, ack_reason = ? WHERE id = ? AND status = 'open'",
      [by, at, reason, id],
    );
    return n === 1;
  }

  async openCounts(): Promise<FindingCounts> {
    const counts = zeroCounts();
    const rows = await this.#x.all<Rec>("SELECT kind, count(*) AS n FROM assurance_findings WHERE status = 'open' GROUP BY kind");
    for (const r of rows) if ((FINDING_KINDS as readonly string[]).includes(String(r.kind))) counts[r.kind as FindingKind] = Number(r.n);
    return counts;
  }
}
