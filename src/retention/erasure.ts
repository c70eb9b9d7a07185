import { randomUUID } from 'node:crypto';
import type { Accessor } from '../evidence/access-log.js';
import { lookupKey, maskE164 } from '../evidence/subject.js';
import { signErasureCertificate, type ErasureCertificate } from './certificate.js';
import type { RecordingDeleter } from './deleter.js';
import { Lease, LEASE_NAME, LeaseLostError } from './lease.js';
import { removeRecordings } from './remove-recordings.js';
import type { Candidate } from './repo.js';
import type { RetentionServiceDeps } from './service-deps.js';
import { emptyRecordingsOutcome } from './sweep-report.js';

export type ErasureResult =
  | { readonly status: 'done'; readonly certificate: ErasureCertificate }
  | { readonly status: 'busy'; readonly holder: string | null };

/**
 * Erases what is held about one caller: the recordings of their calls (deleted from the
 * store), the subject records (number and salt) and the projection's look-up key and mask.
 * Calls under a legal hold are reported and left whole. Locked recordings are reported with
 * their retain-until date and deleted by a later sweep once the lock allows. The chain is
 * never touched, so `ledger verify` stays green. Ends with `erasure.done` and a signed
 * certificate.
 */
export async function eraseCaller(d: RetentionServiceDeps & { readonly deleter: RecordingDeleter }, e164: string, by: Accessor, reason?: string): Promise<ErasureResult> {
  const requestId = randomUUID();
  const lease = new Lease(d.repo, `${d.instanceId}/erasure-${requestId}`, d.clock, d.options.leaseSeconds * 1000);
  if (!(await lease.acquireWithin(d.options.erasureWaitMs ?? 15_000))) {
    return { status: 'busy', holder: (await d.repo.leaseHolder(LEASE_NAME))?.holder ?? null };
  }
  try {
    const nowIso = new Date(d.clock.now()).toISOString();
    await d.repo.insertErasure(requestId, by.tokenId, nowIso);
    const key = lookupKey(d.pepper, e164);
    const calls = await d.repo.callsOfCaller(key);
    const held = calls.filter((c) => c.held).map((c) => c.call_id);
    const free = calls.filter((c) => !c.held).map((c) => c.call_id);
    const recs = await d.repo.recordingsOfCalls(free);
    const flowOf = new Map(calls.map((c) => [c.call_id, c.flow_id]));
    const stored: Candidate[] = [];
    const pending: Array<{ recordingId: string; detail: string }> = [];
    for (const r of recs) {
      if (r.state === 'deleted') continue;
      if (r.state === 'done' && r.object_key) {
        stored.push({
          id: r.id,
          call_id: r.call_id,
          object_key: r.object_key,
          version_id: r.version_id,
          retain_until: r.retain_until,
          started_at: r.started_at,
          disposition: r.disposition,
          flow_id: flowOf.get(r.call_id) ?? null,
          mark_state: null,
          mark_reason: 'erasure',
          held: 0,
          claimed_until: r.claimed_until,
        });
      } else {
        pending.push({ recordingId: r.id, detail: r.state === 'failed' ? 'the recordings pipeline gave up on it: its source file is kept by Asterisk' : `not stored yet (${r.state}): deleted by the sweep once stored` });
      }
    }
    // Every recording this request wants gone is remembered, so what cannot go now (locked,
    // failed, not yet stored) is due for every later sweep regardless of policy.
    await d.repo.markPendingErasure(
      recs.filter((r) => r.state !== 'deleted').map((r) => ({ id: r.id, call_id: r.call_id, object_key: r.object_key, version_id: r.version_id })),
      requestId,
      'erasure request',
      d.clock.now(),
    );
    const out = emptyRecordingsOutcome();
    for (let i = 0; i < stored.length; i += d.options.batchSize) {
      await removeRecordings(
        { repo: d.repo, ledger: d.evidence, deleter: d.deleter, clock: d.clock, log: d.log, policies: d.policies, storeKind: d.objectStore.kind, ...(d.hooks ? { hooks: d.hooks } : {}) },
        stored.slice(i, i + d.options.batchSize),
        { reasonFor: () => 'erasure', runId: requestId, lease, out, bypassGovernance: d.options.bypassGovernanceForErasure && d.deleter.canBypassGovernance, requestId },
      );
    }
    const lockedIds = new Set(out.lockedItems.map((l) => l.recordingId));
    const failed = new Map(out.failedItems.map((f) => [f.recordingId, f.detail]));
    for (const c of stored) {
      const st = (await d.repo.deletionState(c.id))?.state;
      if (st === 'deleted' || lockedIds.has(c.id)) continue;
      pending.push({
        recordingId: c.id,
        detail: failed.has(c.id) ? `object store: ${failed.get(c.id)}; deleted by the next sweep` : 'being worked on by the recordings pipeline: deleted by the next sweep',
      });
    }
    const subjectRecords = await d.repo.eraseCallSubjects(free);
    const masked = maskE164(e164);
    const ev = await d.evidence.append({
      callId: null,
      kind: 'erasure.done',
      data: {
        requestId,
        callIds: free,
        heldCallIds: held,
        subjectRecords,
        recordingsDeleted: out.deletedIds,
        recordingsLocked: out.lockedItems.map((l) => ({ recordingId: l.recordingId, retainUntil: l.retainUntil })),
        recordingsPending: pending.map((p) => p.recordingId),
        requestedBy: by.tokenId,
        requestedByName: by.tokenName,
        ...(reason === undefined ? {} : { reason }),
      },
    });
    const certificate = signErasureCertificate(
      {
        type: 'consentline-erasure-certificate-v1',
        requestId,
        issuedAt: new Date(d.clock.now()).toISOString(),
        controller: { name: d.controller.name, ...(d.controller.contact ? { contact: d.controller.contact } : {}) },
        subject: { masked },
        erased: { callIds: free, subjectRecords, recordingIds: out.deletedIds },
        notErased: { heldCallIds: held, locked: out.lockedItems.map((l) => ({ recordingId: l.recordingId, retainUntil: l.retainUntil, detail: l.detail })), pending },
        ledger: { seq: ev.seq, hash: ev.hash },
      },
      d.signer,
    );
    await d.repo.finishErasure(requestId, certificate.issuedAt, JSON.stringify(certificate));
    d.log.info({ requestId, calls: free.length, held: held.length, recordingsDeleted: out.deleted, locked: out.locked, pending: pending.length }, 'erasure request done');
    return { status: 'done', certificate };
  } catch (err) {
    if (err instanceof LeaseLostError) return { status: 'busy', holder: null };
    throw err;
  } finally {
    await lease.release();
  }
}
