import { randomUUID } from 'node:crypto';
import type { EvidenceWriter } from '../evidence/store.js';
import type { JsonValue } from '../evidence/types.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/log.js';
import type { DeleteItem, RecordingDeleter } from './deleter.js';
import { dueAt, policyFor, type Policies } from './policy.js';
import type { Candidate, DeletionReason, LeaseStore, RetentionRepo } from './repo.js';

export const LEASE_NAME = 'retention';

/** Lists in a report are capped; the counts are not. */
const LIST_CAP = 200;

export interface LockedItem {
  readonly recordingId: string;
  readonly callId: string | null;
  readonly retainUntil: string | null;
  readonly detail: string;
}
export interface FailedItem {
  readonly recordingId: string;
  readonly callId: string | null;
  readonly detail: string;
  readonly attempts: number;
}
export interface HeldItem {
  readonly recordingId?: string;
  readonly callId: string | null;
}

/** What happened to recordings in one run (sweep or erasure). */
export interface RecordingsOutcome {
  due: number;
  deleted: number;
  /** Of `deleted`: the object was already gone (a resumed run). */
  alreadyAbsent: number;
  /** Marks left by an interrupted run, finished by this one. */
  resumed: number;
  /** Claimed by the recordings pipeline at the moment: next run. */
  busy: number;
  held: number;
  locked: number;
  failed: number;
  deletedIds: string[];
  heldItems: HeldItem[];
  lockedItems: LockedItem[];
  failedItems: FailedItem[];
}

export interface EvidenceOutcome {
  due: number;
  erased: number;
  held: number;
  heldCallIds: string[];
}

export type SweepReport =
  | {
      readonly status: 'done' | 'lease_lost';
      readonly runId: string;
      readonly dryRun: boolean;
      readonly startedAt: string;
      readonly finishedAt: string;
      readonly recordings: RecordingsOutcome;
      readonly evidence: EvidenceOutcome;
    }
  | { readonly status: 'busy'; readonly runId: string; readonly holder: string | null; readonly until: string | null };

export function emptyRecordingsOutcome(): RecordingsOutcome {
  return { due: 0, deleted: 0, alreadyAbsent: 0, resumed: 0, busy: 0, held: 0, locked: 0, failed: 0, deletedIds: [], heldItems: [], lockedItems: [], failedItems: [] };
}

export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
  readonly code = 'RETENTION_LEASE_LOST';
  constructor() {
    super('the retention lease was lost (another instance took it over after it expired); stopping this run');
  }
}

/** A lease row in the database, renewed on a timer while held. */
export class Lease {
  #timer: NodeJS.Timeout | null = null;
  #lost = false;
  constructor(
    private readonly repo: LeaseStore,
    readonly holder: string,
    private readonly clock: Clock,
    private readonly ttlMs: number,
  ) {}

  async acquire(): Promise<boolean> {
    const ok = await this.repo.acquireLease(LEASE_NAME, this.holder, this.clock.now(), this.ttlMs);
    if (ok) {
      // A failed renewal (database unreachable) is not a lost lease: the next check() asks again.
      this.#timer = setInterval(() => void this.renew().catch(() => undefined), Math.max(1000, Math.floor(this.ttlMs / 3)));
      this.#timer.unref();
    }
    return ok;
  }

  /** Waits up to `waitMs` for the lease (an erasure request waits for a running sweep's batch). */
  async acquireWithin(waitMs: number): Promise<boolean> {
    const end = Date.now() + waitMs;
    for (;;) {
      if (await this.acquire()) return true;
      if (Date.now() >= end) return false;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async renew(): Promise<boolean> {
    if (this.#lost) return false;
    const ok = await this.repo.renewLease(LEASE_NAME, this.holder, this.clock.now(), this.ttlMs);
    if (!ok) this.#lost = true;
    return ok;
  }

  /** Throws when the lease is no longer ours: checked before every store call. */
  async check(): Promise<void> {
    if (!(await this.renew())) throw new LeaseLostError();
  }

  async release(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    if (!this.#lost) await this.repo.releaseLease(LEASE_NAME, this.holder);
  }
}

export interface SweepHooks {
  /** Called after items are marked `deleting` and before the store is asked: tests crash here. */
  readonly afterMark?: (recordingIds: readonly string[]) => void | Promise<void>;
}

export interface RemoverDeps {
  readonly repo: RetentionRepo;
  readonly ledger: EvidenceWriter;
  readonly deleter: RecordingDeleter;
  readonly clock: Clock;
  readonly log: Logger;
  readonly policies: Policies;
  readonly storeKind: 'local' | 's3';
  readonly hooks?: SweepHooks;
}

const LEDGER_REASON: Record<DeletionReason, string> = { retention: 'retention_expired', quarantine: 'quarantine_expired', erasure: 'erasure' };

/**
 * Deletes a batch of recordings, the one way the sweep and erasure requests both use:
 * held items are reported and left; items whose row says they are locked are reported
 * without asking the store (unless the GOVERNANCE bypass applies); the rest are marked
 * `deleting`, deleted, and for each one gone (deleted or found absent) `recording.deleted`
 * goes into the ledger once, then the row becomes `deleted`. Locked and failed items are
 * reported and kept for a later run; they never count as deleted.
 */
export async function removeRecordings(
  d: RemoverDeps,
  items: readonly Candidate[],
  ctx: {
    readonly reasonFor: (c: Candidate) => DeletionReason;
    readonly runId: string;
    readonly lease: Lease;
    readonly out: RecordingsOutcome;
    readonly bypassGovernance?: boolean;
    readonly requestId?: string;
  },
): Promise<void> {
  const { out } = ctx;
  const now = d.clock.now();
  const toMark: Candidate[] = [];
  const notDeleted: Array<{ id: string; state: 'locked' | 'pending'; detail: string; retainUntil?: string | null }> = [];
  const unmark: string[] = [];
  for (const c of items) {
    const reason = ctx.reasonFor(c);
    if (c.held) {
      out.held++;
      if (out.heldItems.length < LIST_CAP) out.heldItems.push({ recordingId: c.id, callId: c.call_id });
      if (c.mark_state === 'deleting') (reason === 'erasure' ? notDeleted.push({ id: c.id, state: 'pending', detail: 'held' }) : unmark.push(c.id));
      continue;
    }
    if (c.claimed_until !== null && c.mark_state !== 'deleting' && Date.parse(c.claimed_until) >= now) {
      out.busy++;
      continue;
    }
    const lockedByRow = c.retain_until !== null && Date.parse(c.retain_until) > now && !ctx.bypassGovernance;
    if (lockedByRow) {
      out.locked++;
      const detail = `Object Lock: retained until ${c.retain_until}`;
      if (out.lockedItems.length < LIST_CAP) out.lockedItems.push({ recordingId: c.id, callId: c.call_id, retainUntil: c.retain_until, detail });
      if (c.mark_state !== null || reason === 'erasure') notDeleted.push({ id: c.id, state: 'locked', detail, retainUntil: c.retain_until });
      continue;
    }
    toMark.push(c);
  }
  if (unmark.length) await d.repo.unmark(unmark);
  if (notDeleted.length) await d.repo.finishNotDeleted(notDeleted, now);
  if (toMark.length === 0) return;

  await ctx.lease.check();
  const claimUntil = now + 10 * 60_000;
  const marked = await d.repo.mark(toMark, ctx.reasonFor, ctx.lease.holder, ctx.runId, now, claimUntil);
  const batch = toMark.filter((c) => marked.has(c.id));
  out.busy += toMark.length - batch.length;
  if (batch.length === 0) return;
  await d.hooks?.afterMark?.(batch.map((c) => c.id));

  await ctx.lease.check();
  const byId = new Map(batch.map((c) => [c.id, c]));
  const targets: DeleteItem[] = batch.map((c) => ({ id: c.id, key: c.object_key, versionId: c.version_id }));
  const results = await d.deleter.delete(targets, { bypassGovernance: ctx.bypassGovernance === true });
  // A store call that outlived the lease: whoever took over has resumed this batch from its
  // `deleting` marks and written its events; writing them here too would say it twice.
  await ctx.lease.check();

  const gone: Candidate[] = [];
  const kept: Array<{ id: string; state: 'locked' | 'failed'; detail: string; retainUntil?: string | null }> = [];
  for (const c of batch) {
    const r = results.get(c.id) ?? { status: 'failed' as const, detail: 'no result', attempts: 0 };
    if (r.status === 'deleted' || r.status === 'absent') {
      gone.push(c);
      if (r.status === 'absent') out.alreadyAbsent++;
    } else if (r.status === 'locked') {
      out.locked++;
      if (out.lockedItems.length < LIST_CAP) out.lockedItems.push({ recordingId: c.id, callId: c.call_id, retainUntil: c.retain_until, detail: r.detail });
      kept.push({ id: c.id, state: 'locked', detail: r.detail, retainUntil: c.retain_until });
    } else {
      out.failed++;
      if (out.failedItems.length < LIST_CAP) out.failedItems.push({ recordingId: c.id, callId: c.call_id, detail: r.detail, attempts: r.attempts });
      kept.push({ id: c.id, state: 'failed', detail: r.detail });
    }
  }
  if (kept.length) {
    await d.repo.finishNotDeleted(kept, d.clock.now());
    d.log.warn({ runId: ctx.runId, locked: kept.filter((k) => k.state === 'locked').length, failed: kept.filter((k) => k.state === 'failed').length }, 'retention: some recordings were not deleted');
  }
  if (gone.length === 0) return;

  // The ledger first, then the row: a crash in between leaves the mark `deleting`, the next run
  // finds the object absent and (seeing the event) does not write it again.
  await Promise.all(
    gone.map(async (c) => {
      if (c.mark_state === 'deleting' && (await d.repo.hasDeletionEvent(c.call_id, c.id))) return;
      const reason = ctx.reasonFor(c);
      const policy = policyFor(d.policies, c.flow_id);
      const days = reason === 'quarantine' ? policy.quarantineDays : policy.recordingsDays;
      const data: { [k: string]: JsonValue } = {
        recordingId: c.id,
        store: d.storeKind,
        key: c.object_key,
        reason: LEDGER_REASON[reason],
        capturedAt: c.started_at,
        runId: ctx.runId,
        objectWasAbsent: results.get(c.id)?.status === 'absent',
      };
      if (reason !== 'erasure') {
        data.policyDays = days;
        data.dueAt = dueAt(c.started_at, days);
      }
      if (ctx.requestId) data.requestId = ctx.requestId;
      await d.ledger.append({ callId: c.call_id, kind: 'recording.deleted', data });
    }),
  );
  await d.repo.finishDeleted(
    gone.map((c) => c.id),
    d.clock.now(),
  );
  out.deleted += gone.length;
  for (const c of gone) if (out.deletedIds.length < LIST_CAP) out.deletedIds.push(c.id);
  if (byId.size) d.log.info({ runId: ctx.runId, deleted: gone.length }, 'retention: recordings deleted');
}

export interface SweeperDeps extends RemoverDeps {
  readonly instanceId: string;
  readonly batchSize: number;
  readonly leaseSeconds: number;
}

/**
 * The retention sweep: recordings past their policy are deleted from the object store, and the
 * personal data behind calls past their evidence retention is erased (the chained events stay).
 * One run at a time across instances (a lease row); resumable after a crash.
 */
/** How far a run is: candidates looked at so far in each phase (the total is not known ahead). */
export type SweepProgress = (p: { readonly phase: 'recordings' | 'evidence'; readonly done: number }) => void;

export class RetentionSweeper {
  constructor(private readonly d: SweeperDeps) {}

  async run(opts: { dryRun?: boolean; onProgress?: SweepProgress } = {}): Promise<SweepReport> {
    const d = this.d;
    const runId = randomUUID();
    const startNow = d.clock.now();
    const startedAt = new Date(startNow).toISOString();
    const recordings = emptyRecordingsOutcome();
    const evidence: EvidenceOutcome = { due: 0, erased: 0, held: 0, heldCallIds: [] };
    if (opts.dryRun) {
      await this.#dryRun(startNow, recordings, evidence);
      return { status: 'done', runId, dryRun: true, startedAt, finishedAt: new Date(d.clock.now()).toISOString(), recordings, evidence };
    }
    const lease = new Lease(d.repo, `${d.instanceId}/${runId}`, d.clock, d.leaseSeconds * 1000);
    if (!(await lease.acquire())) {
      const h = await d.repo.leaseHolder(LEASE_NAME);
      return { status: 'busy', runId, holder: h?.holder ?? null, until: h ? new Date(h.expires_at).toISOString() : null };
    }
    d.log.info({ runId }, 'retention sweep started');
    let status: 'done' | 'lease_lost' = 'done';
    try {
      // 1. What an interrupted run left marked `deleting`.
      await d.repo.settleForeignDeletions(d.clock.now());
      const seen = new Set<string>();
      for (;;) {
        const left = (await d.repo.unfinished(d.batchSize)).filter((c) => !seen.has(c.id));
        if (left.length === 0) break;
        for (const c of left) seen.add(c.id);
        recordings.resumed += left.length;
        recordings.due += left.length;
        await removeRecordings(d, left, { reasonFor: (c) => c.mark_reason ?? 'retention', runId, lease, out: recordings });
        opts.onProgress?.({ phase: 'recordings', done: recordings.due });
      }
      // 2. Recordings due now.
      let after = '';
      for (;;) {
        const page = await d.repo.dueRecordings(d.policies, startNow, after, d.batchSize);
        if (page.length === 0) break;
        after = page[page.length - 1]!.id;
        recordings.due += page.length;
        await removeRecordings(d, page, {
          reasonFor: (c) => (c.mark_reason === 'erasure' ? 'erasure' : c.disposition === 'quarantine' ? 'quarantine' : 'retention'),
          runId,
          lease,
          out: recordings,
        });
        opts.onProgress?.({ phase: 'recordings', done: recordings.due });
      }
      // 3. Caller data behind evidence past its retention.
      after = '';
      for (;;) {
        const page = await d.repo.dueEvidence(d.policies, startNow, after, d.batchSize);
        if (page.length === 0) break;
        after = page[page.length - 1]!.call_id;
        evidence.due += page.length;
        const free = page.filter((c) => {
          if (!c.held) return true;
          evidence.held++;
          if (evidence.heldCallIds.length < LIST_CAP) evidence.heldCallIds.push(c.call_id);
          return false;
        });
        if (free.length === 0) continue;
        await lease.check();
        await Promise.all(
          free.map(async (c) => {
            if (await d.repo.hasEvidenceErasureEvent(c.call_id, 'retention.deleted')) return;
            const days = policyFor(d.policies, c.flow_id).evidenceDays;
            await d.ledger.append({
              callId: c.call_id,
              kind: 'retention.deleted',
              data: { scope: 'caller_data', erased: ['subject', 'callerLookup', 'callerMasked'], capturedAt: c.started_at, policyDays: days, dueAt: dueAt(c.started_at, days), runId },
            });
          }),
        );
        await d.repo.eraseCallSubjects(free.map((c) => c.call_id));
        evidence.erased += free.length;
        opts.onProgress?.({ phase: 'evidence', done: evidence.due });
      }
    } catch (err) {
      if (!(err instanceof LeaseLostError)) throw err;
      status = 'lease_lost';
      d.log.warn({ runId }, err.message);
    } finally {
      await lease.release();
    }
    const report: SweepReport = { status, runId, dryRun: false, startedAt, finishedAt: new Date(d.clock.now()).toISOString(), recordings, evidence };
    d.log.info(
      { runId, status, deleted: recordings.deleted, held: recordings.held, locked: recordings.locked, failed: recordings.failed, evidenceErased: evidence.erased },
      'retention sweep finished',
    );
    return report;
  }

  async #dryRun(now: number, recordings: RecordingsOutcome, evidence: EvidenceOutcome): Promise<void> {
    const d = this.d;
    const left = await d.repo.unfinished(100_000);
    recordings.resumed = left.length;
    let after = '';
    const classify = (c: Candidate) => {
      recordings.due++;
      if (c.held) {
        recordings.held++;
        if (recordings.heldItems.length < LIST_CAP) recordings.heldItems.push({ recordingId: c.id, callId: c.call_id });
      } else if (c.retain_until !== null && Date.parse(c.retain_until) > now) {
        recordings.locked++;
        if (recordings.lockedItems.length < LIST_CAP) recordings.lockedItems.push({ recordingId: c.id, callId: c.call_id, retainUntil: c.retain_until, detail: `Object Lock: retained until ${c.retain_until}` });
      } else {
        // would be deleted
        recordings.deleted++;
        if (recordings.deletedIds.length < LIST_CAP) recordings.deletedIds.push(c.id);
      }
    };
    left.forEach(classify);
    for (;;) {
      const page = await d.repo.dueRecordings(d.policies, now, after, d.batchSize);
      if (page.length === 0) break;
      after = page[page.length - 1]!.id;
      page.forEach(classify);
    }
    after = '';
    for (;;) {
      const page = await d.repo.dueEvidence(d.policies, now, after, d.batchSize);
      if (page.length === 0) break;
      after = page[page.length - 1]!.call_id;
      for (const c of page) {
        evidence.due++;
        if (c.held) {
          evidence.held++;
          if (evidence.heldCallIds.length < LIST_CAP) evidence.heldCallIds.push(c.call_id);
        } else evidence.erased++;
      }
    }
  }
}
