import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/log.js';
import type { RecordingRepository } from './repo.js';
import { QUEUED_STATES, type RecordingRow } from './row.js';

export function isQueued(row: RecordingRow): boolean {
  return QUEUED_STATES.includes(row.state);
}

/**
 * Recordings waiting for a verified upload, and the age of the oldest, as last read: at start,
 * whenever this instance moves a row into or out of the queue, and at each idle poll (which sees
 * other instances' work). Synchronous for metrics and readiness probes.
 */
export class QueueGauge {
  readonly #repo: RecordingRepository;
  readonly #clock: Clock;
  readonly #log: Logger;
  #queue: { depth: number; oldest: string | null } = { depth: 0, oldest: null };
  #reads = 0;
  #shown = 0;

  constructor(repo: RecordingRepository, clock: Clock, log: Logger) {
    this.#repo = repo;
    this.#clock = clock;
    this.#log = log;
  }

  get depth(): number {
    return this.#queue.depth;
  }

  stats(): { depth: number; oldestAgeSeconds: number } {
    const { depth, oldest } = this.#queue;
    return { depth, oldestAgeSeconds: oldest ? Math.max(0, (this.#clock.now() - Date.parse(oldest)) / 1000) : 0 };
  }

  async refresh(): Promise<{ depth: number; oldestAgeSeconds: number }> {
    const ticket = ++this.#reads;
    const read = await this.#repo.queueStats();
    // Reads may finish out of order on a pool: an older one never replaces a newer one.
    if (ticket > this.#shown) {
      this.#shown = ticket;
      this.#queue = read;
    }
    return this.stats();
  }

  /** A row entered or left the queue (or the workers are idle): read it again, never failing. */
  async moved(): Promise<void> {
    await this.refresh().catch((err: unknown) => this.#log.warn({ err }, 'recordings queue could not be counted'));
  }
}
