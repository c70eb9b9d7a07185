import type { Logger } from '../shared/log.js';
import { systemClock, type Clock } from '../shared/clock.js';
import type { Checkpoint, CreateCheckpointResult } from './checkpoint.js';

/*
 * Checkpoints on a schedule: a checkpoint is signed when the ledger holds events no checkpoint
 * covers and either `everyEvents` of them wait, or the last checkpoint is `everyMs` old (the
 * first one shortly after start, when the ledger is not empty). Instances sharing a ledger each
 * run one: whichever signs first makes the others' next look find nothing due, and the service's
 * lock keeps two from signing one size. The gap (events and seconds not yet covered) is kept
 * for the metrics.
 */

/** What the schedule needs of the checkpoint service. */
export interface SchedulableCheckpoints {
  headSize(): Promise<number>;
  latest(): Promise<Checkpoint | null>;
  create(): Promise<CreateCheckpointResult>;
}

export interface CheckpointScheduleOptions {
  /** Sign when the last checkpoint is this old and events wait; 0 = never by time. */
  readonly everyMs: number;
  /** Sign when this many events wait; 0 = never by count. */
  readonly everyEvents: number;
  /** How often the ledger head is looked at (default 15 s). */
  readonly pollMs?: number;
  /** The first look after start (default 5 s). */
  readonly firstAfterMs?: number;
  readonly clock?: Clock;
}

export interface CheckpointGap {
  /** Events after the last checkpoint. */
  readonly events: number;
  /** How long events have waited: since the last checkpoint (or the start, without one); 0 when none wait. */
  readonly seconds: number;
}

export interface CheckpointSchedule {
  /** The gap at the last look, its age brought up to now. */
  gap(): CheckpointGap;
  /** One look now (and a signature when due); the timer calls it. */
  tick(): Promise<void>;
  /** Stops the timers and waits for a look in progress. */
  stop(): Promise<void>;
}

export function startCheckpointSchedule(service: SchedulableCheckpoints, opts: CheckpointScheduleOptions, log: Logger): CheckpointSchedule {
  const clock = opts.clock ?? systemClock;
  const startedAt = clock.now();
  let waiting = 0;
  let since = startedAt;
  let running: Promise<void> | null = null;

  const measure = async (): Promise<{ head: number; latest: Checkpoint | null }> => {
    const [head, latest] = await Promise.all([service.headSize(), service.latest()]);
    waiting = Math.max(0, head - (latest?.treeSize ?? 0));
    since = latest ? Date.parse(latest.createdAt) : startedAt;
    return { head, latest };
  };

  const due = (head: number, latest: Checkpoint | null): boolean => {
    if (head === 0 || waiting === 0) return false;
    if (!latest) return true;
    if (opts.everyEvents > 0 && waiting >= opts.everyEvents) return true;
    return opts.everyMs > 0 && clock.now() - since >= opts.everyMs;
  };

  const look = async (): Promise<void> => {
    const { head, latest } = await measure();
    if (!due(head, latest)) return;
    const r = await service.create();
    if (r.ok && r.created) log.info({ treeSize: r.checkpoint.treeSize, rootHash: r.checkpoint.rootHash }, 'checkpoint signed');
    if (!r.ok) log.error({ reason: r.reason, ...(r.reason === 'ledger_broken' ? { brokenAt: r.verify.brokenAt } : {}) }, 'checkpoint refused');
    await measure();
  };

  const tick = (): Promise<void> => {
    running ??= look()
      .catch((err: unknown) => log.error({ err }, 'checkpoint failed'))
      .finally(() => {
        running = null;
      });
    return running;
  };

  const first = setTimeout(() => void tick(), opts.firstAfterMs ?? 5_000);
  const every = setInterval(() => void tick(), opts.pollMs ?? 15_000);
  first.unref();
  every.unref();
  return {
    gap: () => ({ events: waiting, seconds: waiting > 0 ? Math.max(0, (clock.now() - since) / 1000) : 0 }),
    tick,
    async stop() {
      clearTimeout(first);
      clearInterval(every);
      await running;
    },
  };
}
