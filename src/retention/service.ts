import type { Readable } from 'node:stream';
import { Cron } from 'croner';
import type { Accessor } from '../evidence/access-log.js';
import { lookupKey, maskE164 } from '../evidence/subject.js';
import { exportCall, type AccessExport, type ExportLang } from './access.js';
import { RecordingDeleter } from './deleter.js';
import { eraseCaller, type ErasureResult } from './erasure.js';
import { HoldMirror, type MirrorReport } from './hold-mirror.js';
import { holdView, releaseHold, setHold, type HoldTarget, type HoldView, type ReleaseResult } from './holds.js';
import type { Policies } from './policy.js';
import type { RetentionServiceDeps } from './service-deps.js';
import type { FinishedSweep, SweepReport } from './sweep-report.js';
import type { ErasureCertificate } from './certificate.js';
import { erasureCertificateOf, erasureSummary, type ErasureSummary } from './erasure-view.js';
import { RetentionSweeper, type SweepProgress } from './sweep.js';

export type { ErasureResult } from './erasure.js';
export { holdView, type HoldTarget, type HoldView, type ReleaseResult } from './holds.js';
export type { RetentionOptions, RetentionServiceDeps } from './service-deps.js';

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
    const report = await this.#sweeper.run(opts);
    // Kept for the DPO's "last sweeps"; a failure to keep it does not undo the run.
    if (report.status !== 'busy') await this.#d.repo.saveSweep(report).catch((err: unknown) => this.#d.log.error({ err, runId: report.runId }, 'keeping the sweep report failed'));
    return report;
  }

  /** The last finished runs (real and dry), newest first. */
  async sweeps(limit: number): Promise<FinishedSweep[]> {
    return this.#d.repo.sweeps(limit);
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
    const view = await setHold(this.#d, target, reason, by);
    void this.mirrorHolds(); // in the background: a flow hold may cover many objects
    return view;
  }

  async holds(opts: { active?: boolean } = {}): Promise<HoldView[]> {
    return (await this.#d.repo.holds(opts)).map(holdView);
  }

  async hold(id: string): Promise<HoldView | null> {
    const h = await this.#d.repo.hold(id);
    return h ? holdView(h) : null;
  }

  /** Two DPO tokens release a hold (holds.ts); a release also updates the objects' S3 legal hold. */
  async releaseHold(id: string, by: Accessor, reason: string | null): Promise<ReleaseResult> {
    const r = await releaseHold(this.#d, id, by, reason);
    if (r.status === 'released') void this.mirrorHolds();
    return r;
  }

  // ---- erasure (Art. 17) -----------------------------------------------------------------

  /** Erases what is held about one caller (Art. 17), with a signed certificate: erasure.ts. */
  async erase(e164: string, by: Accessor, reason?: string): Promise<ErasureResult> {
    return eraseCaller({ ...this.#d, deleter: this.#deleter }, e164, by, reason);
  }

  /** Erasure requests, newest first (erasure-view.ts). */
  async erasures(limit: number): Promise<ErasureSummary[]> {
    return (await this.#d.repo.erasures(limit)).map(erasureSummary);
  }

  /**
   * One request with its certificate, and for each call an active hold kept from it the holds
   * covering it now (empty once released: the next request would erase it).
   */
  async erasure(id: string): Promise<{ summary: ErasureSummary; certificate: ErasureCertificate | null; heldCalls: Array<{ callId: string; holdIds: string[] }> } | null> {
    const row = await this.#d.repo.erasure(id);
    if (!row) return null;
    const summary = erasureSummary(row);
    const held = (summary.notErased?.heldCallIds ?? []).slice(0, 200);
    const heldCalls = await Promise.all(held.map(async (callId) => ({ callId, holdIds: await this.#d.repo.holdsOnCall(callId) })));
    return { summary, certificate: erasureCertificateOf(row), heldCalls };
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
