// Copies the active legal holds onto the stored objects' own S3 legal hold (Object Lock), so the
// store itself refuses to delete a held recording, whoever asks and with whatever credentials;
// a released hold takes it off again. Our holds stay the authority (the sweep and erasure obey
// them either way); this is the second lock. The database says what was copied last, so a store
// outage only leaves the rest for the next run (after each hold change, and at every sweep).
import type { ObjectStore } from '../recordings/storage/port.js';
import type { Logger } from '../shared/log.js';
import type { HoldStore } from './repo.js';

export interface MirrorReport {
  readonly set: number;
  readonly cleared: number;
  /** Objects gone from the store meanwhile: nothing to hold. */
  readonly absent: number;
  /** Why the run stopped early (the store refused or was unreachable), if it did. */
  readonly failed: string | null;
}

export class HoldMirror {
  #running: Promise<MirrorReport> | null = null;

  constructor(
    private readonly d: {
      readonly repo: Pick<HoldStore, 'holdMirrorDue' | 'holdMirrored'>;
      readonly store: Required<Pick<ObjectStore, 'setLegalHold'>>;
      readonly log: Logger;
      readonly batchSize: number;
    },
  ) {}

  /**
   * One pass over what differs. A call during a pass waits for it and then makes its own; it
   * reports what both did (the running pass may be the one a hold change just started, and its
   * work is what the caller asked for), and whether the later pass, the one that counts, failed.
   */
  run(): Promise<MirrorReport> {
    if (this.#running) return this.#running.then(async (earlier) => combine(earlier, await this.run()));
    this.#running = this.#pass().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  async #pass(): Promise<MirrorReport> {
    let set = 0;
    let cleared = 0;
    let absent = 0;
    let after = '';
    for (;;) {
      const due = await this.d.repo.holdMirrorDue(after, this.d.batchSize);
      for (const item of due) {
        const on = item.held === 1;
        try {
          const r = await this.d.store.setLegalHold({ key: item.object_key, versionId: item.version_id }, on);
          await this.d.repo.holdMirrored(item.id, on);
          if (r === 'absent') absent++;
          else if (on) set++;
          else cleared++;
        } catch (e) {
          const failed = (e as Error).message;
          this.d.log.warn({ recordingId: item.id, err: failed }, 'legal hold not copied onto the stored object; retried at the next hold change or sweep');
          return { set, cleared, absent, failed };
        }
        after = item.id;
      }
      if (due.length < this.d.batchSize) break;
    }
    if (set + cleared + absent > 0) this.d.log.info({ set, cleared, absent }, 'legal holds copied onto the stored objects');
    return { set, cleared, absent, failed: null };
  }
}

function combine(earlier: MirrorReport, later: MirrorReport): MirrorReport {
  return {
    set: earlier.set + later.set,
    cleared: earlier.cleared + later.cleared,
    absent: earlier.absent + later.absent,
    failed: later.failed,
  };
}
