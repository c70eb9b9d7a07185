import type { Clock } from '../shared/clock.js';
import type { LeaseStore } from './repo.js';

/** The one lease row a sweep or an erasure request holds while it works. */
export const LEASE_NAME = 'retention';

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
