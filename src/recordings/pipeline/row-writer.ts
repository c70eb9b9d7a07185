import type { Clock } from '../../shared/clock.js';
import { iso } from './options.js';
import { isQueued, type QueueGauge } from './queue-gauge.js';
import type { RecordingRepository } from './repo.js';
import type { RecordingPatch, RecordingState, RowIn } from './row.js';

/** A step's writes to its row: under this worker's claim, stamped, and counted in the queue gauge. */
export class RowWriter {
  readonly #repo: RecordingRepository;
  readonly #worker: string;
  readonly #clock: Clock;
  readonly #queue: Pick<QueueGauge, 'moved'>;

  constructor(repo: RecordingRepository, worker: string, clock: Clock, queue: Pick<QueueGauge, 'moved'>) {
    this.#repo = repo;
    this.#worker = worker;
    this.#clock = clock;
    this.#queue = queue;
  }

  /** The row moved to state `to`, with the step's results. */
  async move<S extends RecordingState>(row: RowIn<RecordingState>, to: S, patch: Omit<RecordingPatch, 'state'>): Promise<RowIn<S>> {
    return (await this.#write(row, { state: to, ...patch })) as RowIn<S>;
  }

  /** Columns set without a change of state (the keep/quarantine decision). */
  async patch<S extends RecordingState>(row: RowIn<S>, patch: Omit<RecordingPatch, 'state'>): Promise<RowIn<S>> {
    return (await this.#write(row, patch)) as RowIn<S>;
  }

  async #write(row: RowIn<RecordingState>, patch: RecordingPatch): Promise<RowIn<RecordingState>> {
    const next = await this.#repo.update(row.id, { ...patch, updated_at: iso(this.#clock.now()) }, this.#worker);
    if (isQueued(row) !== isQueued(next)) await this.#queue.moved();
    return next as RowIn<RecordingState>;
  }
}
