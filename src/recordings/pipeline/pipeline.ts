/**
 * The durable recordings pipeline. Each recording file is one row in `recordings`, and each step
 * is a state committed before the next step starts:
 *
 *   captured ─(file closed)→ spooled ─→ encrypted ─→ uploaded ─→ verified ─→ done
 *                                                                  (quarantine: done ─(N days)→ deleted)
 *
 * - captured: AMI reported MixMonitor started (the file is being written);
 * - spooled: the file is closed (AMI stop or hang-up, or the spool scan found it settled);
 * - encrypted: the consent decision is taken and persisted (keep, or quarantine with a reason),
 *   the ciphertext sits fsynced in the work dir with its hashes in the row;
 * - uploaded: the object store accepted it under the deterministic key;
 * - verified: the stored object's size and SHA-256 match (read back by default);
 *   `recording.stored` is in the ledger;
 * - done: the spool file (or the ARI stored recording) and the ciphertext copy are deleted.
 *
 * A worker claims a row (a lease renewed while it works), runs its steps and releases it; a
 * failure leaves the row in its state with attempts, next_attempt_at (exponential backoff) and
 * the error code. After a crash every row is taken up from the state it is in: a missing
 * ciphertext is made again (unless the store already holds the recorded one), an upload is
 * repeated (idempotent: same key, same bytes → no-op), a verification is redone. The source file is
 * never deleted before the stored copy is verified.
 *
 * Where it lives: intake.ts (AMI: captured, spooled) and scan.ts (files nobody reported), the steps
 * in steps/ (one module per transition, listed in steps/index.ts), the workers in driver.ts and the
 * failure policy in failure.ts. This class wires them and owns their lifecycle.
 */
import { systemClock, type Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/log.js';
import { AmiCapture } from '../ami/capture.js';
import { Driver } from './driver.js';
import { AmiIntake } from './intake.js';
import { SpoolClaims, type IntakePorts } from './intake-ports.js';
import { asCallId, dialplanFileName } from './names.js';
import { withDefaults, type PipelineSettings, type RecordingPipelineDeps, type RecordingPipelineOptions } from './options.js';
import { QueueGauge } from './queue-gauge.js';
import { RecordingLedger } from './recording-ledger.js';
import type { RecordingRepository } from './repo.js';
import { RowWriter } from './row-writer.js';
import { SpoolScan, type ScanReport } from './scan.js';
import { StorageHealthTracker, type StorageHealth } from './storage-health.js';
import { WorkFiles } from './work-files.js';

export type { RecordingPipelineDeps, RecordingPipelineOptions } from './options.js';
export type { ScanReport } from './scan.js';
export type { StorageHealth } from './storage-health.js';

/**
 * @example
 * const pipeline = new RecordingPipeline(
 *   { instanceId: 'consentline-1', capture: 'dialplan', quarantineDays: 7, verify: 'read-back', storeInfo: { store: 'local' } },
 *   { repo: new RecordingRepo(db), evidence: store, store: objects, envelope, source: new SpoolSource({ dir }), workDir, watcher, log },
 * );
 * pipeline.start();
 * // …
 * await pipeline.stop();
 */
export class RecordingPipeline {
  readonly repo: RecordingRepository;
  readonly #o: PipelineSettings;
  readonly #d: RecordingPipelineDeps;
  readonly #log: Logger;
  readonly #worker: string;
  readonly #queue: QueueGauge;
  readonly #health: StorageHealthTracker;
  readonly #intake: AmiIntake;
  readonly #scan: SpoolScan;
  readonly #driver: Driver;
  readonly #unsubscribe: (() => void)[] = [];
  /** Capture mode `ami`: sends the MixMonitor action once a call's recording consent is in the ledger. */
  readonly #amiCapture: AmiCapture | null = null;
  #loops: Promise<void>[] = [];
  #scanTimer: NodeJS.Timeout | null = null;
  #state: 'idle' | 'running' | 'stopped' = 'idle';
  #starting: Promise<void> = Promise.resolve();

  constructor(options: RecordingPipelineOptions, deps: RecordingPipelineDeps) {
    const o = (this.#o = withDefaults(options));
    this.#d = deps;
    const log = (this.#log = deps.log.child({ component: 'recordings' }));
    const clock: Clock = deps.clock ?? systemClock;
    const worker = (this.#worker = options.instanceId);
    const claimant = { worker, spoolId: options.spoolId ?? options.instanceId };
    const repo = (this.repo = deps.repo);
    const queue = (this.#queue = new QueueGauge(repo, clock, log));
    const health = (this.#health = new StorageHealthTracker(log, clock, () => queue.depth));
    const ledger = new RecordingLedger(repo, deps.evidence, worker, log);
    const metrics = deps.metrics;
    const intake: IntakePorts = {
      repo,
      source: deps.source,
      ledger,
      queue,
      claims: new SpoolClaims(claimant, clock, o.leaseMs),
      clock,
      log,
      metrics,
      poke: () => this.poke(),
      stopped: () => this.#state === 'stopped',
    };
    this.#intake = new AmiIntake(intake);
    this.#scan = new SpoolScan(intake, { intervalMs: o.scanIntervalMs, settleMs: o.settleMs }, deps.watcher ?? null);
    this.#driver = new Driver({
      steps: {
        settings: o,
        rows: new RowWriter(repo, worker, clock, queue),
        ledger,
        store: deps.store,
        source: deps.source,
        envelope: deps.envelope,
        files: new WorkFiles(deps.workDir),
        health,
        evidence: deps.evidence,
        isDoNotRecord: deps.isDoNotRecord,
        log,
        metrics,
        clock,
      },
      failure: { settings: o, repo, worker, queue, health, ledger, clock, log, metrics },
      repo,
      claimant,
      queue,
      clock,
      log,
      leaseMs: o.leaseMs,
      pollMs: o.pollMs,
      running: () => this.#state === 'running',
    });
    const w = deps.watcher;
    if (w) {
      this.#unsubscribe.push(...this.#intake.subscribe(w));
      if (options.capture === 'ami') {
        this.#amiCapture = new AmiCapture({
          watcher: w,
          evidence: deps.evidence,
          log: deps.log,
          callIdOf: asCallId,
          fileName: dialplanFileName,
          ...(deps.metrics ? { metrics: deps.metrics } : {}),
          ...(deps.isDoNotRecord ? { isDoNotRecord: deps.isDoNotRecord } : {}),
        });
      }
    }
  }

  /** Frees stale claims of this instance, then starts the workers and the periodic scan. */
  start(): void {
    if (this.#state !== 'idle') return;
    this.#state = 'running';
    this.#starting = this.#begin();
  }

  async #begin(): Promise<void> {
    try {
      const freed = await this.repo.releaseAllOf(this.#worker);
      const counts = await this.repo.countByState();
      await this.refreshQueueStats();
      this.#log.info({ resumed: freed, states: counts, workDir: this.#d.workDir, source: this.#d.source.kind }, 'recordings pipeline started');
    } catch (err) {
      // Stale claims then run out with their lease; the workers report the database themselves.
      this.#log.error({ err }, 'recordings pipeline could not free its stale claims');
    }
    if (this.#state !== 'running') return;
    for (let i = 0; i < this.#o.concurrency; i++) this.#loops.push(this.#driver.work());
    this.#scanTimer = setInterval(() => void this.scanNow(), this.#o.scanIntervalMs);
    this.#scanTimer.unref();
    void this.scanNow();
  }

  /** Stops taking work; waits for the intake queue and for steps in flight to finish. */
  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    const wasRunning = this.#state === 'running';
    this.#state = 'stopped';
    for (const u of this.#unsubscribe.splice(0)) u();
    await this.#amiCapture?.stop();
    if (this.#scanTimer) clearInterval(this.#scanTimer);
    this.#scanTimer = null;
    await this.#starting;
    this.#driver.wake();
    await this.#intake.idle();
    await this.#scan.idle();
    if (wasRunning) await Promise.all(this.#loops);
    this.#loops = [];
  }

  /** Resolves when every AMI event received so far is handled. */
  async whenIntakeIdle(): Promise<void> {
    await this.#amiCapture?.idle();
    await this.#intake.idle();
  }

  get storageHealth(): StorageHealth {
    return this.#health.health;
  }

  /**
   * Recordings waiting for a verified upload, and the age of the oldest (seconds), as last read:
   * at start, whenever this instance moves a row into or out of the queue, and at each idle poll
   * (which sees other instances' work). Synchronous for metrics and readiness probes.
   */
  queueStats(): { depth: number; oldestAgeSeconds: number } {
    return this.#queue.stats();
  }

  /** Reads the queue from the database now; {@link queueStats} then returns it. */
  refreshQueueStats(): Promise<{ depth: number; oldestAgeSeconds: number }> {
    return this.#queue.refresh();
  }

  /** Wakes the workers now (new work, or a test that moved the clock). */
  poke(): void {
    this.#driver.wake();
  }

  /**
   * Picks up closed recordings nobody reported (AMI was down): files of the dialplan's name pattern,
   * not being recorded per AMI, unchanged for `settleMs`. Also closes `captured` rows whose stop
   * was missed.
   */
  scanNow(): Promise<ScanReport> {
    return this.#scan.scanNow();
  }
}
