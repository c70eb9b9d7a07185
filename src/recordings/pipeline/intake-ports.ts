import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/log.js';
import type { Metrics } from '../../shared/metrics.js';
import { iso } from './options.js';
import type { QueueGauge } from './queue-gauge.js';
import type { RecordingLedger } from './recording-ledger.js';
import type { Claimant, ClaimHold, RecordingRepository } from './repo.js';
import type { RecordingRow } from './row.js';
import type { RecordingSource } from './source.js';

/** What the AMI intake and the spool scan, which create and close rows (captured → spooled), act through. */
export interface IntakePorts {
  readonly repo: RecordingRepository;
  readonly source: RecordingSource;
  readonly ledger: Pick<RecordingLedger, 'started' | 'stopped' | 'announce'>;
  readonly queue: Pick<QueueGauge, 'moved'>;
  readonly claims: SpoolClaims;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics?: Metrics | undefined;
  /** Wakes the workers: new work. */
  readonly poke: () => void;
  readonly stopped: () => boolean;
}

/** This instance's claims on the rows it inserts or closes, and which rows are its spool's. */
export class SpoolClaims {
  readonly #claimant: Claimant;
  readonly #clock: Clock;
  readonly #leaseMs: number;

  constructor(claimant: Claimant, clock: Clock, leaseMs: number) {
    this.#claimant = claimant;
    this.#clock = clock;
    this.#leaseMs = leaseMs;
  }

  get spoolId(): string {
    return this.#claimant.spoolId;
  }

  /** A claim held while a row is announced in the ledger: no worker, here or elsewhere, takes the row meanwhile. */
  hold(): ClaimHold {
    return { worker: this.#claimant.worker, until: iso(this.#clock.now() + this.#leaseMs) };
  }

  /** Rows of another spool are that spool's instances' business: their file is not on this host. */
  onOurSpool(row: RecordingRow): boolean {
    return row.spool_id === null || row.spool_id === this.#claimant.spoolId;
  }

  heldElsewhere(row: RecordingRow, now: string): boolean {
    return row.claimed_by !== null && row.claimed_by !== this.#claimant.worker && row.claimed_until !== null && row.claimed_until >= now;
  }
}

/** What the source lists now (nothing when it cannot be listed: the next scan retries). */
export function listedNames(source: RecordingSource): Promise<Set<string>> {
  return source.list().then(
    (l) => new Set(l.map((x) => x.name)),
    () => new Set<string>(),
  );
}
