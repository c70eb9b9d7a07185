import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Cron } from 'croner';
import type { Accessor } from '../evidence/access-log.js';
import type { NoteSigner } from '../evidence/checkpoint.js';
import type { EvidenceStore } from '../evidence/store.js';
import { lookupKey, maskE164 } from '../evidence/subject.js';
import type { RecordingEnvelope } from '../recordings/crypto/envelope.js';
import type { ObjectStore } from '../recordings/storage/port.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/log.js';
import { exportCall, type AccessExport, type ExportLang } from './access.js';
import { signErasureCertificate, type ErasureCertificate } from './certificate.js';
import { RecordingDeleter } from './deleter.js';
import { UnknownHoldTargetError } from './hold-errors.js';
import { HoldMirror, type MirrorReport } from './hold-mirror.js';
import type { Policies } from './policy.js';
import type { Candidate, HoldRow, HoldScope, Person, RetentionRepo } from './repo.js';
import { emptyRecordingsOutcome, Lease, LEASE_NAME, LeaseLostError, removeRecordings, RetentionSweeper, type SweepHooks, type SweepProgress, type SweepReport } from './sweep.js';

export interface RetentionOptions {
  readonly batchSize: number;
  readonly leaseSeconds: number;
  readonly deleteAttempts: number;
  readonly bypassGovernanceForErasure: boolean;
  /** How long an erasure request waits for a running sweep to let go of the lease. Default 15 s. */
  readonly erasureWaitMs?: number;
  /** Copy legal holds onto the objects' S3 legal hold (a bucket with Object Lock). Default false. */
  readonly mirrorHoldsToStore?: boolean;
}

export interface RetentionServiceDeps {
  readonly repo: RetentionRepo;
  readonly evidence: Pick<EvidenceStore, 'append' | 'callEvents' | 'getCall'>;
  readonly objectStore: ObjectStore;
  /** The S3 bucket, for the GOVERNANCE bypass of erasure requests. */
  readonly bucket?: string;
  readonly signer: NoteSigner;
  readonly pepper: string;
  readonly controller: { readonly name: string; readonly contact?: string | undefined };
  readonly clock: Clock;
  readonly log: Logger;
  readonly policies: Policies;
  readonly instanceId: string;
  readonly options: RetentionOptions;
  /** Decrypts recordings for access requests; null or absent when this host holds no decrypting key. */
  readonly envelope?: RecordingEnvelope | null;
  readonly hooks?: SweepHooks;
  /** Waits between delete attempts (tests pass a no-op). */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** A hold as the API and CLI show it: a caller hold never shows its look-up key. */
export interface HoldView {
  readonly id: string;
  readonly scope: HoldScope;
  readonly callId?: string;
  readonly flowId?: string;
  readonly reason: string;
  readonly setBy: { readonly tokenId: string; readonly name: string };
  readonly setAt: string;
  readonly active: boolean;
  readonly releaseRequested: { readonly tokenId: string; readonly name: string; readonly at: string; readonly reason: string | null } | null;
  readonly released: { readonly tokenId: string; readonly name: string; readonly at: string } | null;
}

const person = (by: Accessor): Person => ({ id: by.tokenId, name: by.tokenName, ...(by.subject === undefined ? {} : { subject: by.subject }) });

export function holdView(h: HoldRow): HoldView {
  return {
    id: h.id,
    scope: h.scope,
    ...(h.scope === 'call' ? { callId: h.target } : {}),
    ...(h.scope === 'flow' ? { flowId: h.target } : {}),
    reason: h.reason,
    setBy: { tokenId: h.set_by, name: h.set_by_name },
    setAt: h.set_at,
    active: h.released_at === null,
    releaseRequested: h.release_requested_by
      ? { tokenId: h.release_requested_by, name: h.release_requested_by_name ?? '', at: h.release_requested_at ?? '', reason: h.release_reason }
      : null,
    released: h.released_by ? { tokenId: h.released_by, name: h.released_by_name ?? '', at: h.released_at ?? '' } : null,
  };
}

export type HoldTarget = { readonly scope: 'call'; readonly callId: string } | { readonly scope: 'caller'; readonly e164: string } | { readonly scope: 'flow'; readonly flowId: string };

export type ReleaseResult =
  | { readonly status: 'requested'; readonly hold: HoldView }
  | { readonly status: 'released'; readonly hold: HoldView; readonly seq: number }
  | { readonly status: 'not_found' }
  | { readonly status: 'not_active'; readonly hold: HoldView }
  /** The approving token is the one that asked: four eyes need a second DPO. */
  | { readonly status: 'same_person'; readonly hold: HoldView; readonly person: string };

export type ErasureResult =
  | { readonly status: 'done'; readonly certificate: ErasureCertificate }
  | { readonly status: 'busy'; readonly holder: string | null };

export type RecordingCopy =
  | { readonly status: 'ok'; readonly stream: Readable; readonly recordingId: string; readonly callId: string; readonly bytes: number | null }
  | { readonly status: 'not_found' | 'not_stored' | 'no_key' };

/**
 * Retention, legal holds and data-subject requests over one database: the scheduled and
 * on-demand sweep, holds with a four-eyes release, erasure (Art. 17) with a signed
 * certificate, and access exports (Art. 15). Every action leaves a ledger event.
 */
export class RetentionService {
  readonly #d: RetentionServiceDeps;
  readonly #deleter: RecordingDeleter;
  readonly #sweeper: RetentionSweeper;
  readonly #mirror: HoldMirror | null;

  constructor(d: RetentionServiceDeps) {
    this.#d = d;
    const setLegalHold = d.objectStore.setLegalHold?.bind(d.objectStore);
    this.#mirror =
      d.options.mirrorHoldsToStore && setLegalHold ? new HoldMirror({ repo: d.repo, store: { setLegalHold }, log: d.log, batchSize: d.options.batchSize }) : null;
    this.#deleter = new RecordingDeleter(d.objectStore, {
      attempts: d.options.deleteAttempts,
      ...(d.bucket ? { bucket: d.bucket } : {}),
      ...(d.sleep ? { sleep: d.sleep } : {}),
    });
    this.#sweeper = new RetentionSweeper({
      repo: d.repo,
      ledger: d.evidence,
      deleter: this.#deleter,
      clock: d.clock,
      log: d.log,
      policies: d.policies,
      storeKind: d.objectStore.kind,
      instanceId: d.instanceId,
      batchSize: d.options.batchSize,
      leaseSeconds: d.options.leaseSeconds,
      ...(d.hooks ? { hooks: d.hooks } : {}),
    });
  }

  get policies(): Policies {
    return this.#d.policies;
  }

  /**
   * One sweep now. `busy` when another run (here or on another instance) holds the lease. A real
   * run first copies the legal holds onto the stored objects (see {@link mirrorHolds}).
   */
  async sweep(opts: { dryRun?: boolean; onProgress?: SweepProgress } = {}): Promise<SweepReport> {
    if (!opts.dryRun) await this.mirrorHolds();
    return this.#sweeper.run(opts);
  }

  /**
   * Brings the stored objects' S3 legal hold in line with the active holds (hold-mirror.ts); null
   * when the store has no Object Lock configured. Never throws: a failure is logged and reported,
   * and the next hold change or sweep tries again.
   */
  async mirrorHolds(): Promise<MirrorReport | null> {
    if (!this.#mirror) return null;
    try {
      return await this.#mirror.run();
    } catch (err) {
      this.#d.log.error({ err }, 'copying legal holds onto the stored objects failed');
      return { set: 0, cleared: 0, absent: 0, failed: (err as Error).message };
    }
  }

  /**
   * Runs the sweep on a cron schedule (UTC); a run still going when the next is due is
   * skipped. Returns the function that stops it.
   */
  schedule(pattern: string): () => void {
    const job = new Cron(pattern, { timezone: 'UTC', protect: true }, async () => {
      try {
        const r = await this.sweep();
        if (r.status === 'busy') this.#d.log.info({ holder: r.holder }, 'retention sweep skipped: another run holds the lease');
      } catch (err) {
        this.#d.log.error({ err }, 'retention sweep failed');
      }
    });
    this.#d.log.info({ schedule: pattern, next: job.nextRun()?.toISOString() ?? null }, 'retention sweep scheduled');
    return () => job.stop();
  }

  // ---- legal holds ----------------------------------------------------------------------

  async setHold(target: HoldTarget, reason: string, by: Accessor): Promise<HoldView> {
    const d = this.#d;
    const id = randomUUID();
    const scopeTarget = target.scope === 'call' ? target.callId : target.scope === 'flow' ? target.flowId : lookupKey(d.pepper, target.e164);
    const at = new Date(d.clock.now()).toISOString();
    const covered = await d.repo.callsCoveredBy(target.scope, scopeTarget);
    if (target.scope === 'call' && covered.length === 0) throw new UnknownHoldTargetError(target.callId);
    // The ledger first: a hold that is not in the evidence does not exist.
    await d.evidence.append({
      callId: target.scope === 'call' ? target.callId : null,
      kind: 'hold.set',
      at,
      data: {
        holdId: id,
        scope: target.scope,
        ...(target.scope === 'call' ? { targetCallId: target.callId } : {}),
        ...(target.scope === 'flow' ? { flowId: target.flowId } : {}),
        callIds: covered,
        reason,
        setBy: by.tokenId,
        setByName: by.tokenName,
      },
    });
    await d.repo.insertHold({ id, scope: target.scope, target: scopeTarget, reason, set_by: by.tokenId, set_by_name: by.tokenName, set_at: at });
    d.log.info({ holdId: id, scope: target.scope, calls: covered.length }, 'legal hold set');
    void this.mirrorHolds(); // in the background: a flow hold may cover many objects
    return holdView((await d.repo.hold(id))!);
  }

  async holds(opts: { active?: boolean } = {}): Promise<HoldView[]> {
    return (await this.#d.repo.holds(opts)).map(holdView);
  }

  async hold(id: string): Promise<HoldView | null> {
    const h = await this.#d.repo.hold(id);
    return h ? holdView(h) : null;
  }

  /**
   * Releasing a hold takes two DPO tokens: the first call asks, a second call by a different
   * token approves; the same token twice is refused. The release goes into the ledger.
   */
  async releaseHold(id: string, by: Accessor, reason: string | null): Promise<ReleaseResult> {
    const d = this.#d;
    const h = await d.repo.hold(id);
    if (!h) return { status: 'not_found' };
    if (h.released_at !== null) return { status: 'not_active', hold: holdView(h) };
    const now = new Date(d.clock.now()).toISOString();
    if (h.release_requested_by === null) {
      if (!(await d.repo.requestRelease(id, person(by), reason, now))) return this.releaseHold(id, by, reason);
      d.log.info({ holdId: id, tokenId: by.tokenId }, 'legal hold release requested; waiting for a second DPO');
      return { status: 'requested', hold: holdView((await d.repo.hold(id))!) };
    }
    // Four eyes are two persons: a second token of the one who asked does not count.
    const asker = h.release_requested_subject ?? null;
    if (h.release_requested_by === by.tokenId || (asker !== null && asker === (by.subject ?? by.tokenId))) {
      return { status: 'same_person', hold: holdView(h), person: asker ?? h.release_requested_by_name ?? h.release_requested_by };
    }
    const ev = await d.evidence.append({
      callId: h.scope === 'call' ? h.target : null,
      kind: 'hold.released',
      at: now,
      data: {
        holdId: id,
        scope: h.scope,
        ...(h.scope === 'call' ? { targetCallId: h.target } : {}),
        ...(h.scope === 'flow' ? { flowId: h.target } : {}),
        requestedBy: h.release_requested_by,
        requestedByName: h.release_requested_by_name ?? '',
        ...(asker === null ? {} : { requestedBySubject: asker }),
        requestedAt: h.release_requested_at ?? '',
        approvedBy: by.tokenId,
        approvedByName: by.tokenName,
        ...(by.subject === undefined ? {} : { approvedBySubject: by.subject }),
        reason: h.release_reason ?? reason ?? '',
      },
    });
    if (!(await d.repo.approveRelease(id, person(by), now))) {
      // Raced with another approval: the ledger event stands for the one release that happened.
      return { status: 'not_active', hold: holdView((await d.repo.hold(id))!) };
    }
    d.log.info({ holdId: id, requestedBy: h.release_requested_by, approvedBy: by.tokenId }, 'legal hold released');
    void this.mirrorHolds();
    return { status: 'released', hold: holdView((await d.repo.hold(id))!), seq: ev.seq };
  }

  // ---- erasure (Art. 17) -----------------------------------------------------------------

  /**
   * Erases what is held about one caller: the recordings of their calls (deleted from the
   * store), the subject records (number and salt) and the projection's look-up key and mask.
   * Calls under a legal hold are reported and left whole. Locked recordings are reported with
   * their retain-until date and deleted by a later sweep once the lock allows. The chain is
   * never touched, so `ledger verify` stays green. Ends with `erasure.done` and a signed
   * certificate.
   */
  async erase(e164: string, by: Accessor, reason?: string): Promise<ErasureResult> {
    const d = this.#d;
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
          { repo: d.repo, ledger: d.evidence, deleter: this.#deleter, clock: d.clock, log: d.log, policies: d.policies, storeKind: d.objectStore.kind, ...(d.hooks ? { hooks: d.hooks } : {}) },
          stored.slice(i, i + d.options.batchSize),
          { reasonFor: () => 'erasure', runId: requestId, lease, out, bypassGovernance: d.options.bypassGovernanceForErasure && this.#deleter.canBypassGovernance, requestId },
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

  // ---- access (Art. 15) ------------------------------------------------------------------

  /** Everything held about one caller; the caller of this method writes `access.logged` first. */
  async accessCalls(e164: string): Promise<string[]> {
    return (await this.#d.repo.callsOfCaller(lookupKey(this.#d.pepper, e164))).map((c) => c.call_id);
  }

  async accessExport(e164: string, lang: ExportLang): Promise<AccessExport> {
    const d = this.#d;
    const callIds = await this.accessCalls(e164);
    const recs = await d.repo.recordingsOfCalls(callIds);
    const canDecrypt = d.envelope?.canDecrypt === true;
    const calls = [];
    for (const id of callIds) {
      const [call, events] = await Promise.all([d.evidence.getCall(id), d.evidence.callEvents(id)]);
      calls.push(exportCall(id, call, events, recs.filter((r) => r.call_id === id), canDecrypt));
    }
    return {
      type: 'consentline-access-export-v1',
      generatedAt: new Date(d.clock.now()).toISOString(),
      lang,
      controller: { name: d.controller.name, ...(d.controller.contact ? { contact: d.controller.contact } : {}) },
      subject: { masked: maskE164(e164) },
      calls,
    };
  }

  /** A decrypted copy of one of this caller's recordings, streamed; only where a decrypting key is configured. */
  async recordingCopy(e164: string, recordingId: string): Promise<RecordingCopy> {
    const d = this.#d;
    const callIds = await this.accessCalls(e164);
    const rec = (await d.repo.recordingsOfCalls(callIds)).find((r) => r.id === recordingId);
    if (!rec) return { status: 'not_found' };
    if (rec.state !== 'done' || !rec.object_key) return { status: 'not_stored' };
    if (!d.envelope?.canDecrypt) return { status: 'no_key' };
    const input = await d.objectStore.get(rec.object_key);
    return { status: 'ok', stream: d.envelope.decryptStream(input, { expectedCallId: rec.context_id }), recordingId: rec.id, callId: rec.call_id, bytes: rec.plaintext_bytes };
  }
}
