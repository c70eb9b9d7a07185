/**
 * Keeps Asterisk's CEL records as they arrive over AMI: buffered, written in batches on the
 * assurance connection, and pruned after `retentionDays`. A write that fails is retried with the
 * next batch; past `maxBuffered` the oldest records are dropped and counted (the next runs then
 * report the calls as without an Asterisk record).
 */
import type { CelRecord } from '../recordings/ami/cel.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/log.js';
import type { AssuranceRepo } from './repo.js';

export interface CelCollectorOptions {
  readonly flushMs?: number;
  readonly maxBuffered?: number;
  readonly retentionDays: number;
}

export class CelCollector {
  readonly #buffer: Array<{ receivedAt: string; cel: CelRecord }> = [];
  readonly #timer: NodeJS.Timeout;
  readonly #pruneTimer: NodeJS.Timeout;
  #flushing: Promise<void> = Promise.resolve();
  #dropped = 0;

  constructor(
    private readonly deps: { readonly repo: AssuranceRepo; readonly clock: Clock; readonly log: Logger },
    private readonly opts: CelCollectorOptions,
  ) {
    this.#timer = setInterval(() => void this.flush(), opts.flushMs ?? 1000);
    this.#timer.unref();
    this.#pruneTimer = setInterval(() => void this.prune(), 6 * 3_600_000);
    this.#pruneTimer.unref();
  }

  get dropped(): number {
    return this.#dropped;
  }

  add(cel: CelRecord): void {
    this.#buffer.push({ receivedAt: new Date(this.deps.clock.now()).toISOString(), cel });
    const max = this.opts.maxBuffered ?? 100_000;
    if (this.#buffer.length > max) {
      this.#dropped += this.#buffer.length - max;
      this.#buffer.splice(0, this.#buffer.length - max);
    }
    if (this.#buffer.length >= 500) void this.flush();
  }

  /** Writes what is buffered; resolves when it is stored (or the write failed and was logged). */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(async () => {
      const batch = this.#buffer.splice(0, this.#buffer.length);
      if (batch.length === 0) return;
      try {
        await this.deps.repo.insertCel(batch);
      } catch (err) {
        this.#buffer.unshift(...batch);
        this.deps.log.warn({ err, buffered: this.#buffer.length }, 'Asterisk CEL records not stored yet; retrying');
      }
    });
    return this.#flushing;
  }

  async prune(): Promise<number> {
    const before = new Date(this.deps.clock.now() - this.opts.retentionDays * 86_400_000).toISOString();
    return this.deps.repo.pruneCel(before).catch((err: unknown) => {
      this.deps.log.warn({ err }, 'pruning old Asterisk CEL records failed');
      return 0;
    });
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    clearInterval(this.#pruneTimer);
    await this.flush();
  }
}
