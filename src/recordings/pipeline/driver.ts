import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/log.js';
import { recordFailure, type FailurePorts } from './failure.js';
import { iso } from './options.js';
import type { QueueGauge } from './queue-gauge.js';
import { LostClaimError, type Claimant, type RecordingRepository } from './repo.js';
import type { RecordingRow } from './row.js';
import { nextStep, type StepPorts } from './steps/index.js';

export interface DriverPorts {
  readonly steps: StepPorts;
  readonly failure: FailurePorts;
  readonly repo: RecordingRepository;
  readonly claimant: Claimant;
  readonly queue: Pick<QueueGauge, 'moved'>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly leaseMs: number;
  readonly pollMs: number;
  readonly running: () => boolean;
}

/**
 * The workers: each claims the next due row (a lease renewed while it works), runs its steps
 * (steps/index.ts) until the row waits or is done, and releases it.
 */
export class Driver {
  readonly #p: DriverPorts;
  readonly #wakers = new Set<() => void>();

  constructor(ports: DriverPorts) {
    this.#p = ports;
  }

  /** Wakes idle workers now. */
  wake(): void {
    for (const wake of this.#wakers) wake();
  }

  async work(): Promise<void> {
    const p = this.#p;
    while (p.running()) {
      const now = p.clock.now();
      let row: RecordingRow | null;
      try {
        row = await p.repo.claimNext(p.claimant, iso(now), iso(now + p.leaseMs));
      } catch (err) {
        p.log.error({ err }, 'recordings queue could not be read');
        row = null;
      }
      if (!row) {
        await p.queue.moved();
        await this.#sleep(p.pollMs);
        continue;
      }
      await this.#drive(row);
    }
  }

  /** One claimed row, step after step, while each step moves it on. */
  async #drive(claimed: RecordingRow): Promise<void> {
    const p = this.#p;
    const worker = p.claimant.worker;
    const heartbeat = setInterval(
      () =>
        void p.repo
          .extendClaim(claimed.id, worker, iso(p.clock.now() + p.leaseMs))
          .catch((err: unknown) => p.log.warn({ err, recordingId: claimed.id }, 'could not extend the claim on a recording')),
      Math.max(50, p.leaseMs / 3),
    );
    let row = claimed;
    let fresh = false;
    try {
      for (;;) {
        const before = row.state;
        let next;
        try {
          next = await nextStep(row, p.steps, fresh);
        } catch (err) {
          if (err instanceof LostClaimError) p.log.warn({ recordingId: row.id }, err.message);
          else await recordFailure(row, err, p.failure);
          return;
        }
        if (!next) return;
        ({ row, fresh } = next);
        if (row.state === before || !p.running()) return;
      }
    } finally {
      clearInterval(heartbeat);
      try {
        await p.repo.releaseClaim(claimed.id, worker);
      } catch (err) {
        p.log.error({ err, recordingId: claimed.id }, 'could not release the claim on a recording');
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
}
