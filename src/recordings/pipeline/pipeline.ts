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
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rm, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { EvidenceStore } from '../../evidence/store.js';
import type { EventKind, JsonValue } from '../../evidence/types.js';
import { systemClock, type Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/log.js';
import type { Metrics } from '../../shared/metrics.js';
import type { AmiWatcher } from '../ami/watcher.js';
import { AmiCapture } from '../ami/capture.js';
import type { RecordingFileKnown, RecordingStarted, RecordingStopped } from '../ami/events.js';
import type { RecordingEnvelope } from '../crypto/envelope.js';
import { ObjectStoreError } from '../storage/errors.js';
import { recordingObjectKey } from '../storage/keys.js';
import type { ObjectStore } from '../storage/port.js';
import { verifyStoredObject } from '../storage/verify.js';
import { checkDuration, type AudioVerdict } from './audio-check.js';
import { inspectRecording } from './audio-read.js';
import { errorCode, PERMANENT_CODES, PipelineError } from './errors.js';
import { asCallId, callIdFromFileName, dialplanFileName, quarantineObjectKey } from './names.js';
import { LostClaimError, QUEUED_STATES, type Claimant, type ClaimHold, type QuarantineReason, type RecordingPatch, type RecordingRepository, type RecordingRow } from './repo.js';
import type { RecordingSource } from './source.js';

export interface RecordingPipelineOptions {
  /** Names this instance's claims; claims it finds from an earlier run of itself are stale. */
  readonly instanceId: string;
  /**
   * The spool and work directories this instance sees (`recordings.spoolId`; default
   * `instanceId`): its rows are inserted under it, and it works only on rows of it (or of none).
   * Instances sharing those directories (shared storage) share one spoolId and each other's rows.
   */
  readonly spoolId?: string;
  readonly capture: 'dialplan' | 'ami';
  readonly quarantineDays: number;
  readonly verify: 'read-back' | 'head';
  /** How the ledger names the store: `local`, or the bucket and region. */
  readonly storeInfo: { readonly store: 'local' | 's3'; readonly bucket?: string; readonly region?: string | null };
  /** Object Lock retention for kept recordings (S3 with objectLock only). */
  readonly retainDays?: number | null;
  readonly concurrency?: number;
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly pollMs?: number;
  readonly scanIntervalMs?: number;
  readonly settleMs?: number;
  readonly leaseMs?: number;
  /** A closed file that stays missing this many attempts is given up (`failed`). Default 10. */
  readonly maxMissingAttempts?: number;
  /** A recording file larger than this is quarantined as `too_large` (`recordings.maxFileMB`). Default 256 MiB. */
  readonly maxFileBytes?: number;
}

export interface RecordingPipelineDeps {
  /** The `recordings` table: `RecordingRepo` on SQLite, `PgRecordingRepo` on PostgreSQL. */
  readonly repo: RecordingRepository;
  readonly evidence: Pick<EvidenceStore, 'append' | 'getCall'>;
  readonly store: ObjectStore;
  readonly envelope: Pick<RecordingEnvelope, 'encryptOpenFile' | 'keyId'>;
  readonly source: RecordingSource;
  /** Where ciphertext (and ARI-fetched plaintext) waits for upload: under dataDir, 0700. */
  readonly workDir: string;
  /** Subscribed to, not owned: the composition root starts and stops it. */
  readonly watcher?: AmiWatcher | null;
  readonly log: Logger;
  readonly clock?: Clock;
  readonly metrics?: Metrics;
  readonly isDoNotRecord?: (lookupKey: string) => boolean;
}

export type StorageHealth =
  | { readonly status: 'unknown' }
  | { readonly status: 'up' }
  | { readonly status: 'down'; readonly code: string; readonly since: string };

export interface ScanReport {
  readonly listed: number;
  readonly added: number;
  readonly closed: number;
}

type StepResult = { row: RecordingRow; fresh: boolean } | null;
type Decision = { disposition: 'keep' } | { disposition: 'quarantine'; reason: QuarantineReason; detail?: string };

const iso = (ms: number): string => new Date(ms).toISOString();
const DAY_MS = 86_400_000;
const STORE_CODES = new Set(['UNAVAILABLE', 'AUTH', 'LOCATION', 'INTEGRITY', 'NOT_FOUND', 'LOCKED', 'UNKNOWN']);

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
  readonly #o: Required<Omit<RecordingPipelineOptions, 'retainDays' | 'storeInfo' | 'spoolId'>> & Pick<RecordingPipelineOptions, 'retainDays' | 'storeInfo'>;
  readonly #d: RecordingPipelineDeps;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #worker: string;
  readonly #claimant: Claimant;
  readonly #unsubscribe: (() => void)[] = [];
  readonly #pendingStarts = new Map<string, RecordingStarted>();
  /** Capture mode `ami`: sends the MixMonitor action once a call's recording consent is in the ledger. */
  readonly #amiCapture: AmiCapture | null = null;
  /** Per recording, the start/stop ledger writes in progress: check-then-append runs one at a time. */
  readonly #eventWrites = new Map<string, Promise<void>>();
  readonly #firstSeen = new Map<string, number>();
  #intake: Promise<void> = Promise.resolve();
  #loops: Promise<void>[] = [];
  #wakers = new Set<() => void>();
  #scanTimer: NodeJS.Timeout | null = null;
  #scanning: Promise<ScanReport> | null = null;
  #scanProblem: string | null = null;
  #storage: StorageHealth = { status: 'unknown' };
  #state: 'idle' | 'running' | 'stopped' = 'idle';
  #starting: Promise<void> = Promise.resolve();
  #queue: { depth: number; oldest: string | null } = { depth: 0, oldest: null };
  #queueReads = 0;
  #queueShown = 0;
  #inFlight = 0;

  constructor(options: RecordingPipelineOptions, deps: RecordingPipelineDeps) {
    this.#o = Object.freeze({
      concurrency: 2,
      initialBackoffMs: 2_000,
      maxBackoffMs: 300_000,
      pollMs: 1_000,
      scanIntervalMs: 60_000,
      settleMs: 120_000,
      leaseMs: 60_000,
      maxMissingAttempts: 10,
      maxFileBytes: 256 * 2 ** 20,
      retainDays: null,
      ...options,
    });
    this.#d = deps;
    this.#log = deps.log.child({ component: 'recordings' });
    this.#clock = deps.clock ?? systemClock;
    this.#worker = options.instanceId;
    this.#claimant = { worker: options.instanceId, spoolId: options.spoolId ?? options.instanceId };
    this.repo = deps.repo;
    const w = deps.watcher;
    if (w) {
      this.#unsubscribe.push(
        w.on('recordingStarted', (e) => this.#enqueue(() => this.#onStarted(e))),
        w.on('recordingFileKnown', (e) => this.#enqueue(() => this.#onFileKnown(e))),
        w.on('recordingStopped', (e) => this.#enqueue(() => this.#onStopped(e))),
      );
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
    for (let i = 0; i < this.#o.concurrency; i++) this.#loops.push(this.#loop());
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
    for (const wake of this.#wakers) wake();
    await this.#intake;
    await this.#scanning;
    if (wasRunning) await Promise.all(this.#loops);
    this.#loops = [];
  }

  /** Resolves when every AMI event received so far is handled. */
  async whenIntakeIdle(): Promise<void> {
    await this.#amiCapture?.idle();
    await this.#intake;
  }

  get storageHealth(): StorageHealth {
    return this.#storage;
  }

  /**
   * Recordings waiting for a verified upload, and the age of the oldest (seconds), as last read:
   * at start, whenever this instance moves a row into or out of the queue, and at each idle poll
   * (which sees other instances' work). Synchronous for metrics and readiness probes.
   */
  queueStats(): { depth: number; oldestAgeSeconds: number } {
    const { depth, oldest } = this.#queue;
    return { depth, oldestAgeSeconds: oldest ? Math.max(0, (this.#clock.now() - Date.parse(oldest)) / 1000) : 0 };
  }

  /** Reads the queue from the database now; {@link queueStats} then returns it. */
  async refreshQueueStats(): Promise<{ depth: number; oldestAgeSeconds: number }> {
    const ticket = ++this.#queueReads;
    const read = await this.repo.queueStats();
    // Reads may finish out of order on a pool: an older one never replaces a newer one.
    if (ticket > this.#queueShown) {
      this.#queueShown = ticket;
      this.#queue = read;
    }
    return this.queueStats();
  }

  async #queueMoved(): Promise<void> {
    await this.refreshQueueStats().catch((err: unknown) => this.#log.warn({ err }, 'recordings queue could not be counted'));
  }

  /** Wakes the workers now (new work, or a test that moved the clock). */
  poke(): void {
    for (const wake of this.#wakers) wake();
  }

  // ------------------------------------------------------------------ intake (AMI)

  #enqueue(fn: () => Promise<void>): void {
    if (this.#state === 'stopped') return;
    this.#intake = this.#intake.then(fn).catch((err: unknown) => {
      this.#log.error({ err }, 'recording event could not be handled');
    });
  }

  async #onStarted(e: RecordingStarted): Promise<void> {
    if (e.file === undefined) {
      this.#pendingStarts.set(e.uniqueid, e);
      return;
    }
    await this.#capture(e, e.file);
  }

  async #onFileKnown(e: RecordingFileKnown): Promise<void> {
    const started = this.#pendingStarts.get(e.uniqueid);
    if (!started) return;
    this.#pendingStarts.delete(e.uniqueid);
    await this.#capture(started, e.path);
  }

  async #checkName(reported: string, ids: { uniqueid: string; linkedid: string }): Promise<string | null> {
    const check = await this.#d.source.nameOf(reported);
    if (check.status === 'ok') return check.name;
    this.#log.warn({ ...ids, reason: check.reason }, 'recording file name refused: not read, not deleted');
    this.#d.metrics?.failures.inc({ kind: 'recording_name_refused' });
    return null;
  }

  async #capture(e: RecordingStarted, file: string): Promise<void> {
    const name = await this.#checkName(file, e);
    if (name === null) return;
    const id = randomUUID();
    const callId = asCallId(e.consentId) ?? (e.consentId === undefined ? callIdFromFileName(name) : null);
    const now = iso(this.#clock.now());
    const { row, created } = await this.repo.insert(
      {
        id,
        callId,
        source: this.#d.source.kind,
        sourceName: name,
        foundBy: 'ami',
        uniqueid: e.uniqueid,
        linkedid: e.linkedid,
        state: 'captured',
        startedAt: now,
        contextId: callId ?? id,
        spoolId: this.#claimant.spoolId,
        claim: this.#hold(),
      },
      now,
    );
    // Same channel again (the start re-reported after a restart): the event is written at most once.
    // Another instance that got the same AMI event and inserted the row writes it under its claim.
    if (!created && (row.channel_uniqueid !== e.uniqueid || this.#heldElsewhere(row, now) || !this.#onOurSpool(row))) return;
    if (!created) return this.#ledgerStarted(row);
    this.#log.info({ recordingId: row.id, callId, uniqueid: e.uniqueid }, 'recording captured');
    await this.#announce(row.id, () => this.#ledgerStarted(row));
  }

  async #onStopped(e: RecordingStopped): Promise<void> {
    const pending = this.#pendingStarts.get(e.uniqueid);
    this.#pendingStarts.delete(e.uniqueid);
    const file = e.file ?? pending?.file;
    if (file === undefined) {
      this.#log.warn({ uniqueid: e.uniqueid, linkedid: e.linkedid }, 'recording ended without a known file name; the spool scan will pick it up');
      return;
    }
    const name = await this.#checkName(file, e);
    if (name === null) return;
    const now = iso(this.#clock.now());
    let row = await this.repo.liveBySource(this.#d.source.kind, name);
    let wasCaptured = false;
    if (!row) {
      // Stored already and gone from the source: another instance got this stop too and was first.
      if ((await this.repo.hasFinished(this.#d.source.kind, name)) && !(await this.#listedNames()).has(name)) return;
      const id = randomUUID();
      const callId = asCallId(e.consentId) ?? (e.consentId === undefined ? callIdFromFileName(name) : null);
      const inserted = await this.repo.insert(
        {
          id,
          callId,
          source: this.#d.source.kind,
          sourceName: name,
          foundBy: 'ami',
          uniqueid: e.uniqueid,
          linkedid: e.linkedid,
          state: 'spooled',
          startedAt: now,
          stoppedAt: now,
          stopReason: e.reason,
          contextId: callId ?? id,
          spoolId: this.#claimant.spoolId,
          claim: this.#hold(),
        },
        now,
      );
      // Not created: the scan (here or on another instance) was first and announces it.
      if (!inserted.created) return;
      row = inserted.row;
    } else if (row.state === 'captured' && this.#onOurSpool(row)) {
      wasCaptured = true;
      const closed = await this.repo.markSpooled(row.id, now, e.reason, now, this.#hold());
      if (!closed) return;
      row = closed;
    } else {
      return;
    }
    const spooled = row;
    await this.#queueMoved();
    this.#log.info({ recordingId: row.id, callId: row.call_id, reason: e.reason, recovered: e.recovered ?? false }, 'recording spooled');
    await this.#announce(row.id, () => this.#ledgerStopped(spooled, { reason: e.reason, ...(e.recovered ? { recovered: true } : {}) }, wasCaptured));
    this.poke();
  }

  /** A claim held while a row is announced in the ledger: no worker, here or elsewhere, takes the row meanwhile. */
  #hold(): ClaimHold {
    return { worker: this.#worker, until: iso(this.#clock.now() + this.#o.leaseMs) };
  }

  /** What the source lists now (nothing when it cannot be listed: the next scan retries). */
  async #listedNames(): Promise<Set<string>> {
    return this.#d.source.list().then(
      (l) => new Set(l.map((x) => x.name)),
      () => new Set<string>(),
    );
  }

  /** Rows of another spool are that spool's instances' business: their file is not on this host. */
  #onOurSpool(row: RecordingRow): boolean {
    return row.spool_id === null || row.spool_id === this.#claimant.spoolId;
  }

  #heldElsewhere(row: RecordingRow, now: string): boolean {
    return row.claimed_by !== null && row.claimed_by !== this.#worker && row.claimed_until !== null && row.claimed_until >= now;
  }

  /** Writes a row's event under the claim taken by its insert or close, then releases the claim. */
  async #announce(id: string, write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } finally {
      await this.repo.releaseClaim(id, this.#worker).catch((err: unknown) => this.#log.error({ err, recordingId: id }, 'could not release the claim on a recording'));
    }
  }

  // ------------------------------------------------------------------ scan

  /**
   * Picks up closed recordings nobody reported (AMI was down): files of the dialplan's name pattern,
   * not being recorded per AMI, unchanged for `settleMs`. Also closes `captured` rows whose stop
   * was missed.
   */
  scanNow(): Promise<ScanReport> {
    if (this.#scanning) return this.#scanning;
    this.#scanning = this.#scan().finally(() => {
      this.#scanning = null;
    });
    return this.#scanning;
  }

  async #scan(): Promise<ScanReport> {
    const source = this.#d.source;
    let files;
    try {
      files = await source.list();
    } catch (err) {
      const problem = errorCode(err);
      if (this.#scanProblem !== problem) {
        // A known condition (the spool dir missing) is one line saying what to do, not a stack.
        if ((err as { expected?: unknown }).expected === true) this.#log.warn({ code: problem }, `${(err as Error).message}; the scan retries every ${this.#o.scanIntervalMs / 1000} s`);
        else this.#log.warn({ code: problem, err }, 'recording scan cannot list its source; retrying at the next scan');
      }
      this.#scanProblem = problem;
      return { listed: 0, added: 0, closed: 0 };
    }
    if (this.#scanProblem) this.#log.info('recording scan lists its source again');
    this.#scanProblem = null;
    // The watcher's list of running recordings is only current while AMI is up; during an outage
    // the settle time alone decides (a file unchanged that long is closed).
    const active = new Set<string>();
    const watcher = this.#d.watcher;
    for (const a of watcher?.connected ? watcher.activeRecordings() : []) {
      if (a.file === undefined) continue;
      const c = await source.nameOf(a.file);
      if (c.status === 'ok') active.add(c.name);
    }
    const now = this.#clock.now();
    const seen = new Set<string>();
    let added = 0;
    let closed = 0;
    const fresh: { name: string; since: number }[] = [];
    for (const f of files) {
      seen.add(f.name);
      if (this.#state === 'stopped') break;
      if (active.has(f.name)) continue;
      let since = f.mtimeMs;
      if (since === null) {
        since = this.#firstSeen.get(f.name) ?? now;
        this.#firstSeen.set(f.name, since);
      }
      if (now - since < this.#o.settleMs) continue;
      const nowIso = iso(now);
      const live = await this.repo.liveBySource(source.kind, f.name);
      if (live) {
        // A row of no spool (before migration 0021) whose file this spool lists is this spool's.
        if (live.spool_id === null && (await this.repo.adoptSpool(live.id, this.#claimant.spoolId))) {
          this.#log.info({ recordingId: live.id, spoolId: this.#claimant.spoolId }, 'recording from before spool ids put on this spool');
        }
        if (live.state !== 'captured' || !this.#onOurSpool(live)) continue;
        const row = await this.repo.markSpooled(live.id, nowIso, 'scan', nowIso, this.#hold());
        if (!row) continue;
        closed++;
        this.#log.warn({ recordingId: row.id, callId: row.call_id }, 'recording closed by the scan: its end was not reported over AMI');
        await this.#announce(row.id, () => this.#ledgerStopped(row, { reason: 'scan', recovered: true }, true));
        continue;
      }
      if (await this.repo.hasFailed(source.kind, f.name)) continue;
      fresh.push({ name: f.name, since });
    }
    for (const name of this.#firstSeen.keys()) if (!seen.has(name)) this.#firstSeen.delete(name);
    // A file that another worker or instance stored and removed since the listing has no live row
    // any more, yet is in `files`: only the names the source still lists after that check are new.
    const present = fresh.length === 0 ? new Set<string>() : await this.#listedNames();
    const nowIso = iso(now);
    for (const f of fresh) {
      if (!present.has(f.name) || this.#state === 'stopped') continue;
      const id = randomUUID();
      const callId = callIdFromFileName(f.name);
      const { row, created } = await this.repo.insert(
        {
          id,
          callId,
          source: source.kind,
          sourceName: f.name,
          foundBy: 'scan',
          uniqueid: null,
          linkedid: null,
          state: 'spooled',
          startedAt: iso(f.since),
          stoppedAt: nowIso,
          stopReason: 'scan',
          contextId: callId ?? id,
          spoolId: this.#claimant.spoolId,
          claim: this.#hold(),
        },
        nowIso,
      );
      if (!created) continue;
      added++;
      this.#log.warn({ recordingId: row.id, callId }, 'recording found by the scan without any AMI event');
      await this.#announce(row.id, () => this.#ledgerStopped(row, { reason: 'scan', foundBy: 'scan' }, false));
    }
    if (added || closed) {
      await this.#queueMoved();
      this.poke();
    }
    return { listed: files.length, added, closed };
  }

  // ------------------------------------------------------------------ workers

  async #loop(): Promise<void> {
    while (this.#state === 'running') {
      const now = this.#clock.now();
      let row: RecordingRow | null;
      try {
        row = await this.repo.claimNext(this.#claimant, iso(now), iso(now + this.#o.leaseMs));
      } catch (err) {
        this.#log.error({ err }, 'recordings queue could not be read');
        row = null;
      }
      if (!row) {
        await this.#queueMoved();
        await this.#sleep(this.#o.pollMs);
        continue;
      }
      this.#inFlight++;
      try {
        await this.#process(row);
      } finally {
        this.#inFlight--;
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        this.#wakers.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.#wakers.add(done);
    });
  }

  async #process(claimed: RecordingRow): Promise<void> {
    const heartbeat = setInterval(
      () =>
        void this.repo
          .extendClaim(claimed.id, this.#worker, iso(this.#clock.now() + this.#o.leaseMs))
          .catch((err: unknown) => this.#log.warn({ err, recordingId: claimed.id }, 'could not extend the claim on a recording')),
      Math.max(50, this.#o.leaseMs / 3),
    );
    let row = claimed;
    let fresh = false;
    try {
      for (;;) {
        const before = row.state;
        let next: StepResult;
        try {
          next = await this.#step(row, fresh);
        } catch (err) {
          if (err instanceof LostClaimError) {
            this.#log.warn({ recordingId: row.id }, err.message);
            return;
          }
          await this.#failed(row, err);
          return;
        }
        if (!next) return;
        row = next.row;
        fresh = next.fresh;
        if (row.state === before || this.#state !== 'running') return;
      }
    } finally {
      clearInterval(heartbeat);
      try {
        await this.repo.releaseClaim(claimed.id, this.#worker);
      } catch (err) {
        this.#log.error({ err, recordingId: claimed.id }, 'could not release the claim on a recording');
      }
    }
  }

  #step(row: RecordingRow, fresh: boolean): Promise<StepResult> {
    switch (row.state) {
      case 'spooled':
        return this.#encrypt(row);
      case 'encrypted':
        return this.#upload(row, fresh);
      case 'uploaded':
        return this.#verify(row);
      case 'verified':
        return this.#cleanUp(row);
      case 'done':
        return this.#expire(row);
      default:
        return Promise.resolve(null);
    }
  }

  #encPath(id: string): string {
    return path.join(this.#d.workDir, `${id}.wav.enc`);
  }

  #plainPath(id: string): string {
    return path.join(this.#d.workDir, `${id}.wav`);
  }

  async #update(row: RecordingRow, patch: RecordingPatch): Promise<RecordingRow> {
    const next = await this.repo.update(row.id, { ...patch, updated_at: iso(this.#clock.now()) }, this.#worker);
    if (isQueued(row) !== isQueued(next)) await this.#queueMoved();
    return next;
  }

  /**
   * Keep or quarantine: only an audio file (audio-check.ts) of a call whose evidence says
   * recording=yes, no longer than that call, keeps its recording.
   */
  async #decide(row: RecordingRow, audio: AudioVerdict): Promise<Decision> {
    if (!audio.ok) return { disposition: 'quarantine', reason: audio.reason, detail: audio.detail };
    if (!row.call_id) return { disposition: 'quarantine', reason: 'unknown_call' };
    const fromName = callIdFromFileName(row.source_name);
    if (fromName !== null && fromName !== row.call_id) return { disposition: 'quarantine', reason: 'id_mismatch' };
    const call = await this.#d.evidence.getCall(row.call_id);
    if (!call) return { disposition: 'quarantine', reason: 'unknown_call' };
    if (call.callerLookup && this.#d.isDoNotRecord?.(call.callerLookup)) return { disposition: 'quarantine', reason: 'do_not_record' };
    if (call.recording !== 'yes') return { disposition: 'quarantine', reason: 'no_consent' };
    const plausible = checkDuration(audio.audio, call, this.#clock.now());
    if (!plausible.ok) return { disposition: 'quarantine', reason: plausible.reason, detail: plausible.detail };
    return { disposition: 'keep' };
  }

  async #encrypt(input: RecordingRow): Promise<StepResult> {
    let row = input;
    await this.#ledgerStopped(row, { reason: row.stop_reason ?? 'unknown', recovered: true }, false);
    await mkdir(this.#d.workDir, { recursive: true, mode: 0o700 });
    const opened = await this.#d.source.open(row.source_name, this.#plainPath(row.id));
    if (opened.status === 'missing') throw new PipelineError('SOURCE_MISSING', opened.detail);
    if (opened.status === 'rejected') throw new PipelineError('SOURCE_REJECTED', `${row.source_name}: ${opened.reason}`);
    try {
      row = await this.#decideOnce(row, await inspectRecording(opened.handle, opened.size, { maxBytes: this.#o.maxFileBytes }));
      return await this.#encryptOpened(row, opened);
    } finally {
      await opened.handle.close();
    }
  }

  /**
   * Takes the decision once (persisted: a retry keeps it) and writes `recording.quarantined`.
   * The decision is taken again on a retry only for the detail of the event, which the row lacks.
   */
  async #decideOnce(input: RecordingRow, audio: AudioVerdict): Promise<RecordingRow> {
    let row = input;
    const decision = await this.#decide(row, audio);
    if (row.disposition === null) {
      const key =
        decision.disposition === 'keep'
          ? recordingObjectKey({ callId: row.call_id!, recordingId: row.id, startedAt: row.started_at })
          : quarantineObjectKey({ recordingId: row.id, startedAt: row.started_at });
      row = await this.#update(row, {
        disposition: decision.disposition,
        quarantine_reason: decision.disposition === 'quarantine' ? decision.reason : null,
        store: this.#o.storeInfo.store,
        object_key: key,
      });
      if (decision.disposition === 'quarantine') {
        this.#d.metrics?.quarantined.inc();
        this.#log.warn(
          { recordingId: row.id, callId: row.call_id, reason: decision.reason, ...(decision.detail ? { detail: decision.detail } : {}) },
          'recording quarantined: kept encrypted apart, deleted after the quarantine period',
        );
      } else if (audio.ok && audio.audio.dataBytes === 0) {
        this.#log.info({ recordingId: row.id, callId: row.call_id }, 'empty recording (WAV header only, no audio): kept as the call\'s recording');
      }
    }
    if (row.disposition === 'quarantine') {
      const detail = decision.disposition === 'quarantine' && decision.reason === row.quarantine_reason ? decision.detail : undefined;
      await this.#ledger('recording.quarantined', row, { reason: row.quarantine_reason, ...(detail ? { detail } : {}), quarantineDays: this.#o.quarantineDays }, true);
    }
    return row;
  }

  async #encryptOpened(input: RecordingRow, opened: { handle: FileHandle; size: number }): Promise<StepResult> {
    let row = input;
    const tmp = this.#encPath(row.id);
    const result = await this.#d.envelope.encryptOpenFile(opened.handle, tmp, { callId: row.context_id, plaintextBytes: opened.size });
    await fsyncFile(tmp);
    row = await this.#update(row, {
      state: 'encrypted',
      plaintext_bytes: result.plaintextBytes,
      plaintext_sha256: result.plaintextSha256,
      ciphertext_bytes: result.ciphertextBytes,
      ciphertext_sha256: result.ciphertextSha256,
      key_id: result.keyId,
      attempts: 0,
    });
    return { row, fresh: true };
  }

  /** The ciphertext copy is there and is what the row recorded (hashed again after a restart). */
  async #tempIntact(row: RecordingRow, fresh: boolean): Promise<boolean> {
    const tmp = this.#encPath(row.id);
    try {
      if ((await stat(tmp)).size !== row.ciphertext_bytes) return false;
    } catch {
      return false;
    }
    return fresh || (await hashFile(tmp)) === row.ciphertext_sha256;
  }

  async #upload(row: RecordingRow, fresh: boolean): Promise<StepResult> {
    const key = row.object_key!;
    const expected = { bytes: row.ciphertext_bytes!, sha256: row.ciphertext_sha256! };
    if (!(await this.#tempIntact(row, fresh))) {
      // Lost or damaged ciphertext copy: if the store already holds the recorded object (a crash
      // after the upload), go on; otherwise encrypt again from the source (still there).
      const head = await this.#d.store.head(key);
      if (head && head.bytes === expected.bytes && head.sha256 === expected.sha256) {
        this.#log.info({ recordingId: row.id }, 'ciphertext copy gone but the store holds the recorded object');
        return { row: await this.#update(row, { state: 'uploaded', attempts: 0 }), fresh: false };
      }
      if (head) throw new PipelineError('STORED_MISMATCH', `${key} holds another object and our ciphertext copy is gone`);
      this.#log.warn({ recordingId: row.id }, 'ciphertext copy missing or damaged: encrypting again');
      await rm(this.#encPath(row.id), { force: true });
      return {
        row: await this.#update(row, { state: 'spooled', ciphertext_bytes: null, ciphertext_sha256: null, plaintext_bytes: null, plaintext_sha256: null }),
        fresh: false,
      };
    }
    const retainUntil =
      row.disposition === 'keep' && this.#o.retainDays ? new Date(Date.parse(row.started_at) + this.#o.retainDays * DAY_MS) : undefined;
    const put = await this.#d.store.put(key, this.#encPath(row.id), { ...expected, ...(retainUntil ? { retainUntil } : {}) });
    this.#storageUp();
    this.#log.info({ recordingId: row.id, key, created: put.created, bytes: expected.bytes }, put.created ? 'recording uploaded' : 'recording was already stored');
    return {
      row: await this.#update(row, {
        state: 'uploaded',
        version_id: put.versionId ?? null,
        retain_until: retainUntil ? retainUntil.toISOString() : null,
        attempts: 0,
      }),
      fresh: true,
    };
  }

  async #verify(row: RecordingRow): Promise<StepResult> {
    const key = row.object_key!;
    const expected = { bytes: row.ciphertext_bytes!, sha256: row.ciphertext_sha256! };
    const head = await this.#d.store.head(key);
    if (!head) {
      this.#log.warn({ recordingId: row.id, key }, 'uploaded object not found: uploading again');
      return { row: await this.#update(row, { state: 'encrypted' }), fresh: false };
    }
    if (head.bytes !== expected.bytes || head.sha256 !== expected.sha256) {
      throw new ObjectStoreError('INTEGRITY', `verify ${key}: head says ${head.bytes} bytes / sha256 ${head.sha256}, expected ${expected.bytes} / ${expected.sha256}`);
    }
    if (this.#o.verify === 'read-back') await verifyStoredObject(this.#d.store, key, expected);
    this.#storageUp();
    const info = this.#o.storeInfo;
    await this.#ledger(
      'recording.stored',
      row,
      {
        store: info.store,
        ...(info.bucket ? { bucket: info.bucket } : {}),
        region: info.region ?? null,
        key,
        plaintextSha256: row.plaintext_sha256,
        ciphertextSha256: row.ciphertext_sha256,
        bytes: row.ciphertext_bytes,
        plaintextBytes: row.plaintext_bytes,
        keyId: row.key_id,
        quarantine: row.disposition === 'quarantine',
        ...(row.retain_until ? { retainUntil: row.retain_until } : {}),
      },
      true,
    );
    return { row: await this.#update(row, { state: 'verified', attempts: 0 }), fresh: true };
  }

  async #cleanUp(row: RecordingRow): Promise<StepResult> {
    await this.#d.source.remove(row.source_name, this.#plainPath(row.id));
    await rm(this.#encPath(row.id), { force: true });
    const now = this.#clock.now();
    const deleteAfter = row.disposition === 'quarantine' ? iso(now + this.#o.quarantineDays * DAY_MS) : null;
    this.#log.info({ recordingId: row.id, callId: row.call_id, quarantine: row.disposition === 'quarantine' }, 'recording stored and verified; local copies deleted');
    return {
      row: await this.#update(row, { state: 'done', delete_after: deleteAfter, next_attempt_at: deleteAfter, attempts: 0 }),
      fresh: false,
    };
  }

  /** A quarantined recording past its period: deleted from the store, `recording.deleted` in the ledger. */
  async #expire(row: RecordingRow): Promise<StepResult> {
    if (row.disposition !== 'quarantine' || row.delete_after === null || Date.parse(row.delete_after) > this.#clock.now()) return null;
    const key = row.object_key!;
    const results = await this.#d.store.delete([key], { allVersions: true });
    for (const r of results) {
      if (r.status === 'locked') throw new ObjectStoreError('LOCKED', `delete ${key}: ${r.detail}`);
      if (r.status === 'failed') throw new ObjectStoreError('UNAVAILABLE', `delete ${key}: ${r.detail}`);
    }
    this.#storageUp();
    await this.#ledger('recording.deleted', row, { store: this.#o.storeInfo.store, key, reason: 'quarantine_expired' }, true);
    this.#log.info({ recordingId: row.id, reason: row.quarantine_reason }, 'quarantined recording deleted');
    return { row: await this.#update(row, { state: 'deleted', delete_after: null, next_attempt_at: null, attempts: 0 }), fresh: false };
  }

  async #failed(row: RecordingRow, err: unknown): Promise<void> {
    const code = errorCode(err);
    const attempts = row.attempts + 1;
    const now = this.#clock.now();
    const permanent = PERMANENT_CODES.has(code) || (code === 'SOURCE_MISSING' && attempts >= this.#o.maxMissingAttempts);
    const delay = Math.min(this.#o.maxBackoffMs, this.#o.initialBackoffMs * 2 ** Math.min(30, attempts - 1));
    const storeStep = row.state === 'encrypted' || row.state === 'uploaded' || row.state === 'done';
    const fields = { recordingId: row.id, callId: row.call_id, state: row.state, code, attempt: attempts, detail: (err as Error)?.message };
    if (permanent) this.#log.error(fields, 'recording step failed for good: left in state failed, source file kept');
    else if (code === 'AUTH' || code === 'INTEGRITY' || code === 'LOCATION' || code === 'UNKNOWN') this.#log.error({ ...fields, retryInMs: delay }, 'recording step failed; will retry');
    else this.#log.warn({ ...fields, retryInMs: delay }, 'recording step failed; will retry');
    this.#d.metrics?.failures.inc({ kind: storeStep ? 'recording_upload' : 'recording_pipeline' });
    if (storeStep && code === 'INTEGRITY') this.#d.metrics?.verificationFailures.inc({ check: 'recording' });
    if (storeStep && STORE_CODES.has(code)) this.#storageDown(code);
    try {
      const next = await this.repo.update(
        row.id,
        {
          attempts,
          last_error: code,
          last_error_at: iso(now),
          next_attempt_at: iso(now + delay),
          updated_at: iso(now),
          ...(permanent ? { state: 'failed' as const } : {}),
        },
        this.#worker,
      );
      if (isQueued(row) !== isQueued(next)) await this.#queueMoved();
    } catch (e) {
      this.#log.error({ err: e, recordingId: row.id }, 'could not record the failure of a recording step');
    }
    // The ledger gets upload failures at attempts 1, 2, 4, 8…, and whenever the cause changes:
    // a long outage leaves a bounded trail, not one event per retry.
    if (storeStep && (permanent || (attempts & (attempts - 1)) === 0 || code !== row.last_error)) {
      await this.#ledger('recording.upload_failed', row, { attempt: attempts, code, step: row.state }, false).catch((e: unknown) =>
        this.#log.error({ err: e, recordingId: row.id }, 'could not write recording.upload_failed'),
      );
    }
  }

  #storageUp(): void {
    if (this.#storage.status === 'down') {
      this.#log.info({ queued: this.#queue.depth, downSince: this.#storage.since }, 'object store reachable again; draining the recordings queue');
    }
    this.#storage = { status: 'up' };
  }

  #storageDown(code: string): void {
    if (this.#storage.status === 'down' && this.#storage.code === code) return;
    const queued = this.#queue.depth;
    this.#log.error({ code, queued }, 'object store failing: recordings wait in the queue (spool files are kept)');
    this.#storage = { status: 'down', code, since: iso(this.#clock.now()) };
  }

  /** `recording.started`, once per recording (only recordings AMI saw start have one). */
  async #ledgerStarted(row: RecordingRow): Promise<void> {
    await this.#oneAtATime(row.id, () => this.#ledger('recording.started', row, { uniqueid: row.channel_uniqueid, source: row.source }, true));
  }

  /**
   * `recording.stopped`, once per recording. Called when the file is closed and again by the
   * encrypt step, so an append a crash cut off is made up after the restart (marked `recovered`)
   * and one already there is never written twice. Closing a `captured` row first makes up its
   * `recording.started` the same way.
   */
  async #ledgerStopped(row: RecordingRow, data: Record<string, JsonValue>, afterCapture: boolean): Promise<void> {
    if (afterCapture) await this.#ledgerStarted(row);
    await this.#oneAtATime(row.id, () => this.#ledger('recording.stopped', row, data, true));
  }

  /** The scan or AMI intake closing a recording can meet a worker making up its events. */
  async #oneAtATime(recordingId: string, write: () => Promise<void>): Promise<void> {
    const turn = (this.#eventWrites.get(recordingId) ?? Promise.resolve()).catch(() => {}).then(write);
    this.#eventWrites.set(recordingId, turn);
    try {
      await turn;
    } finally {
      if (this.#eventWrites.get(recordingId) === turn) this.#eventWrites.delete(recordingId);
    }
  }

  async #ledger(kind: EventKind, row: RecordingRow, data: Record<string, JsonValue>, dedupe: boolean): Promise<void> {
    if (dedupe && (await this.repo.hasEvent(kind, row.call_id, row.id))) return;
    await this.#d.evidence.append({ callId: row.call_id, kind, data: { recordingId: row.id, ...data } });
  }
}

function isQueued(row: RecordingRow): boolean {
  return QUEUED_STATES.includes(row.state);
}

async function fsyncFile(file: string): Promise<void> {
  const fh = await open(file, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function hashFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
