import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/log.js';
import { iso } from './options.js';

export type StorageHealth =
  | { readonly status: 'unknown' }
  | { readonly status: 'up' }
  | { readonly status: 'down'; readonly code: string; readonly since: string };

/** The object store as the last operation found it: logged once per change, read by `/ready`. */
export class StorageHealthTracker {
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #queued: () => number;
  #health: StorageHealth = { status: 'unknown' };

  constructor(log: Logger, clock: Clock, queued: () => number) {
    this.#log = log;
    this.#clock = clock;
    this.#queued = queued;
  }

  get health(): StorageHealth {
    return this.#health;
  }

  up(): void {
    if (this.#health.status === 'down') {
      this.#log.info({ queued: this.#queued(), downSince: this.#health.since }, 'object store reachable again; draining the recordings queue');
    }
    this.#health = { status: 'up' };
  }

  down(code: string): void {
    if (this.#health.status === 'down' && this.#health.code === code) return;
    this.#log.error({ code, queued: this.#queued() }, 'object store failing: recordings wait in the queue (spool files are kept)');
    this.#health = { status: 'down', code, since: iso(this.#clock.now()) };
  }
}
