import { randomUUID } from 'node:crypto';
import { dueAt, policyFor } from './policy.js';
import { Lease, LEASE_NAME, LeaseLostError } from './lease.js';
import { removeRecordings, type RemoverDeps } from './remove-recordings.js';
import type { Candidate, EvidenceCandidate } from './repo.js';
import { emptyRecordingsOutcome, LIST_CAP, type EvidenceOutcome, type RecordingsOutcome, type SweepReport } from './sweep-report.js';

export type { EvidenceOutcome, FailedItem, HeldItem, LockedItem, RecordingsOutcome, SweepReport } from './sweep-report.js';

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
    const evidence: EvidenceOutcome = { due: 0, erased: 0, held: 0, heldCallIds: [], consentKept: 0, consentKeptCallIds: [] };
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
        const free = page.filter((c) => keptBack(c, evidence) === null);
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
        if (keptBack(c, evidence) === null) evidence.erased++;
      }
    }
  }
}

/**
 * Why a call due for erasure keeps its caller data, counted in the report: a legal hold, or the
 * caller's marketing registry entry rests on its consent event (erasing that would lose the proof
 * of the consent or of its withdrawal, and --check would then find the entry without its event).
 */
function keptBack(c: EvidenceCandidate, out: EvidenceOutcome): 'held' | 'consent' | null {
  if (c.held) {
    out.held++;
    if (out.heldCallIds.length < LIST_CAP) out.heldCallIds.push(c.call_id);
    return 'held';
  }
  if (c.backs_consent) {
    out.consentKept++;
    if (out.consentKeptCallIds.length < LIST_CAP) out.consentKeptCallIds.push(c.call_id);
    return 'consent';
  }
  return null;
}
