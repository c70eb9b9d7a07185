// Retention's reads that need a recording's (or a caller's) call: its flow decides the policy,
// its call id, flow and caller decide whether a legal hold covers it. Retention reads its own
// tables and the recordings pipeline's here; the calls come from evidence's CallFacts port
// (issue 20: "calls of flow F older than T"), and the hold and the per-flow cut-off are decided
// in code, alike on both engines.
import type { CallFacts } from '../evidence/call-facts.js';
import { cutoffs, type Policies } from './policy.js';
import type { CallerCall, Candidate, EvidenceCandidate, HoldMirrorItem, HoldScope, RetentionRepo } from './repo.js';

type CallScopedMethods = 'unfinished' | 'dueRecordings' | 'holdMirrorDue' | 'dueEvidence' | 'callsOfCaller' | 'callsCoveredBy' | 'eraseCallSubjects' | 'holdsOnCall';

/** How an engine's repository runs one of retention's queries (`?` placeholders). */
export type RunQuery = <R>(sql: string, params: unknown[]) => Promise<R[]>;

const RAW_CANDIDATE = `r.id, r.call_id, r.object_key, r.version_id, r.retain_until, r.started_at, r.disposition, r.claimed_until,
  d.state AS mark_state, d.reason AS mark_reason`;

const SQL = {
  activeHolds: 'SELECT scope, target FROM legal_holds WHERE released_at IS NULL',
  holdsOnCall: `SELECT id FROM legal_holds WHERE released_at IS NULL
    AND ((scope = 'call' AND target = ?) OR (scope = 'flow' AND target = ?) OR (scope = 'caller' AND target = ?))
    ORDER BY set_at, id`,
  unfinished: `SELECT r.id, r.call_id, d.object_key, d.version_id, r.retain_until, r.started_at, r.disposition, r.claimed_until,
      d.state AS mark_state, d.reason AS mark_reason
    FROM retention_deletions d JOIN recordings r ON r.id = d.recording_id
    WHERE d.state = 'deleting' ORDER BY d.recording_id LIMIT ?`,
  // Every recording the loosest cut-off lets through; the flow's own cut-off is applied in code.
  dueRecordings: `SELECT ${RAW_CANDIDATE}
    FROM recordings r LEFT JOIN retention_deletions d ON d.recording_id = r.id
    WHERE r.id > ? AND r.state = 'done' AND r.object_key IS NOT NULL
      AND (d.state IS NULL OR d.state IN ('locked', 'failed', 'pending'))
      AND (d.reason = 'erasure'
        OR (coalesce(r.disposition, 'keep') = 'keep' AND r.started_at <= ?)
        OR (r.disposition = 'quarantine' AND r.started_at <= ?))
      AND (r.claimed_until IS NULL OR r.claimed_until < ?)
    ORDER BY r.id LIMIT ?`,
  storedOnS3: (onlyMirrored: boolean) => `SELECT id, call_id, object_key, version_id, coalesce(legal_hold_mirrored, 0) AS mirrored
    FROM recordings WHERE state = 'done' AND store = 's3' AND object_key IS NOT NULL AND id > ?
    ${onlyMirrored ? 'AND coalesce(legal_hold_mirrored, 0) <> 0' : ''} ORDER BY id LIMIT ?`,
} as const;

type RawCandidate = Omit<Candidate, 'flow_id' | 'held'>;
type StoredObject = Omit<HoldMirrorItem, 'held'> & { readonly call_id: string | null; readonly mirrored: number | string };
type CallKeys = { readonly call_id: string | null; readonly flow_id: string | null; readonly caller_lookup: string | null };

/** The active legal holds by scope: whether one covers a call is three set look-ups. */
class ActiveHolds {
  readonly #by = { call: new Set<string>(), flow: new Set<string>(), caller: new Set<string>() };

  constructor(rows: ReadonlyArray<{ scope: 'call' | 'flow' | 'caller'; target: string }>) {
    for (const r of rows) this.#by[r.scope].add(r.target);
  }

  get none(): boolean {
    return this.#by.call.size + this.#by.flow.size + this.#by.caller.size === 0;
  }

  held(c: CallKeys): 0 | 1 {
    const hit =
      (c.call_id !== null && this.#by.call.has(c.call_id)) ||
      (c.flow_id !== null && this.#by.flow.has(c.flow_id)) ||
      (c.caller_lookup !== null && this.#by.caller.has(c.caller_lookup));
    return hit ? 1 : 0;
  }
}

/** The cut-off for a flow's recordings (`null`: a recording of no known call, the default's). */
function cutFor(c: { flows: [string, string][]; fallback: string }): (flowId: string | null) => string {
  const byFlow = new Map(c.flows);
  return (flowId) => (flowId === null ? undefined : byFlow.get(flowId)) ?? c.fallback;
}

const latest = (c: { flows: [string, string][]; fallback: string }) => c.flows.reduce((max, [, at]) => (at > max ? at : max), c.fallback);

/**
 * The part of a {@link RetentionRepo} that needs calls, one implementation for both engines:
 * {@link SqliteRetentionRepo} and {@link PgRetentionRepo} extend it with how they run a query and
 * their engine's {@link CallFacts}.
 */
export abstract class CallScopedRepo implements Pick<RetentionRepo, CallScopedMethods> {
  protected constructor(
    private readonly run: RunQuery,
    private readonly calls: CallFacts,
  ) {}

  async #holds(): Promise<ActiveHolds> {
    return new ActiveHolds(await this.run(SQL.activeHolds, []));
  }

  /** Each row's flow and hold, from its call (a call the projection lacks: no flow, covered by no hold). */
  async #withCalls<T extends { call_id: string | null }>(rows: readonly T[], holds: ActiveHolds): Promise<Array<T & { flow_id: string | null; held: 0 | 1 }>> {
    const facts = await this.calls.facts([...new Set(rows.flatMap((r) => (r.call_id === null ? [] : [r.call_id])))]);
    return rows.map((r) => {
      const f = r.call_id === null ? undefined : facts.get(r.call_id);
      const keys: CallKeys = { call_id: f?.call_id ?? null, flow_id: f?.flow_id ?? null, caller_lookup: f?.caller_lookup ?? null };
      return { ...r, flow_id: keys.flow_id, held: holds.held(keys) };
    });
  }

  async unfinished(limit: number): Promise<Candidate[]> {
    return this.#withCalls(await this.run<RawCandidate>(SQL.unfinished, [limit]), await this.#holds());
  }

  /** See {@link DeletionStore.dueRecordings}: pages are filled to `limit` while rows remain. */
  async dueRecordings(policies: Policies, now: number, after: string, limit: number): Promise<Candidate[]> {
    const keep = cutoffs(policies, 'recordingsDays', now);
    const quarantine = cutoffs(policies, 'quarantineDays', now);
    const [keepCut, quarantineCut] = [cutFor(keep), cutFor(quarantine)];
    const holds = await this.#holds();
    const due = (c: Candidate) =>
      c.mark_reason === 'erasure' ||
      ((c.disposition ?? 'keep') === 'keep' && c.started_at <= keepCut(c.flow_id)) ||
      (c.disposition === 'quarantine' && c.started_at <= quarantineCut(c.flow_id));
    return this.#filled(after, limit, async (cursor) => {
      const raw = await this.run<RawCandidate>(SQL.dueRecordings, [cursor, latest(keep), latest(quarantine), new Date(now).toISOString(), limit]);
      return { raw, kept: (await this.#withCalls(raw, holds)).filter(due) };
    });
  }

  /** See {@link HoldStore.holdMirrorDue}. */
  async holdMirrorDue(after: string, limit: number): Promise<HoldMirrorItem[]> {
    const holds = await this.#holds();
    // With no hold active, only objects still marked held can differ.
    const sql = SQL.storedOnS3(holds.none);
    return this.#filled(after, limit, async (cursor) => {
      const raw = await this.run<StoredObject>(sql, [cursor, limit]);
      const kept = (await this.#withCalls(raw, holds))
        .filter((r) => Number(r.mirrored) !== r.held)
        .map(({ id, object_key, version_id, held }) => ({ id, object_key, version_id, held }));
      return { raw, kept };
    });
  }

  /** Raw pages by id until `limit` rows are kept or the rows run out. */
  async #filled<T extends { id: string }>(after: string, limit: number, page: (cursor: string) => Promise<{ raw: Array<{ id: string }>; kept: T[] }>): Promise<T[]> {
    const out: T[] = [];
    for (let cursor = after; ; ) {
      const { raw, kept } = await page(cursor);
      out.push(...kept);
      if (out.length >= limit || raw.length < limit) return out.slice(0, limit);
      cursor = raw[raw.length - 1]!.id;
    }
  }

  async dueEvidence(policies: Policies, now: number, after: string, limit: number): Promise<EvidenceCandidate[]> {
    const page = await this.calls.callerDataDue(cutoffs(policies, 'evidenceDays', now), after, limit);
    if (page.length === 0) return [];
    const holds = await this.#holds();
    return page.map((c) => ({ call_id: c.call_id, flow_id: c.flow_id, started_at: c.started_at, held: holds.held(c), backs_consent: c.backs_consent }));
  }

  async callsOfCaller(lookupKey: string): Promise<CallerCall[]> {
    const calls = await this.calls.callsOfCaller(lookupKey);
    if (calls.length === 0) return [];
    const holds = await this.#holds();
    return calls.map((c) => ({ call_id: c.call_id, flow_id: c.flow_id, started_at: c.started_at, held: holds.held(c) }));
  }

  callsCoveredBy(scope: HoldScope, target: string, limit = 1000): Promise<string[]> {
    return this.calls.callsWhere(scope, target, limit);
  }

  eraseCallSubjects(callIds: readonly string[]): Promise<number> {
    return this.calls.eraseCallerData(callIds);
  }

  async holdsOnCall(callId: string): Promise<string[]> {
    const f = (await this.calls.facts([callId])).get(callId);
    if (!f) return [];
    return (await this.run<{ id: string }>(SQL.holdsOnCall, [f.call_id, f.flow_id, f.caller_lookup])).map((r) => r.id);
  }
}
