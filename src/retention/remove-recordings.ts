import type { EvidenceWriter } from '../evidence/store.js';
import type { JsonValue } from '../evidence/types.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/log.js';
import type { DeleteItem, RecordingDeleter } from './deleter.js';
import type { Lease } from './lease.js';
import { dueAt, policyFor, type Policies } from './policy.js';
import type { Candidate, DeletionReason, RetentionRepo } from './repo.js';
import { LIST_CAP, type RecordingsOutcome } from './sweep-report.js';

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
