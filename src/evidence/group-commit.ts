/** Writes one batch atomically and returns one result per item, in order; throws to fail all. */
export type BatchWriter<I, O> = (items: readonly I[]) => O[] | Promise<O[]>;

export interface GroupCommitStats {
  readonly batches: number;
  readonly items: number;
  readonly largestBatch: number;
  readonly failedBatches: number;
}

export interface GroupCommitOptions {
  readonly maxBatch: number;
  /**
   * Batches handed to the writer before the first of them has finished (default 1). More than
   * one suits a writer that runs elsewhere and takes batches in order (the SQLite writer
   * thread): the next batch is built while one commits. Batches still settle in submission
   * order, and each is acknowledged only once its own write has finished.
   */
  readonly maxInFlight?: number;
  /**
   * A queue this long goes to the writer at once, from inside submit(), when the writer has
   * room (default maxBatch). Below maxBatch it splits the burst of appends that follows an
   * acknowledged batch, so that with maxInFlight 2 the writer commits one part while the
   * callers prepare the rest.
   */
  readonly flushAt?: number;
}

interface Pending<I, O> {
  readonly item: I;
  readonly resolve: (out: O) => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Queues items from many concurrent callers and hands them to a single writer in batches:
 * the first item schedules a flush on the next turn of the event loop, so everything
 * submitted meanwhile rides the same commit; a full batch flushes at once. At most
 * `maxInFlight` batches are at the writer at a time, handed over and settled in submission order.
 */
export class GroupCommitter<I, O> {
  readonly #write: BatchWriter<I, O>;
  readonly #maxBatch: number;
  readonly #maxInFlight: number;
  readonly #flushAt: number;
  #queue: Pending<I, O>[] = [];
  #scheduled = false;
  #inFlight = 0;
  /** Settles when the last batch handed over has settled: the next one settles after it. */
  #tail: Promise<void> = Promise.resolve();
  #idle: (() => void)[] = [];
  #stats = { batches: 0, items: 0, largestBatch: 0, failedBatches: 0 };

  constructor(write: BatchWriter<I, O>, opts: GroupCommitOptions) {
    if (!(opts.maxBatch >= 1)) throw new RangeError('maxBatch must be at least 1');
    const maxInFlight = opts.maxInFlight ?? 1;
    if (!(maxInFlight >= 1)) throw new RangeError('maxInFlight must be at least 1');
    this.#write = write;
    this.#maxBatch = opts.maxBatch;
    this.#maxInFlight = maxInFlight;
    this.#flushAt = Math.max(1, Math.min(opts.flushAt ?? opts.maxBatch, opts.maxBatch));
  }

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      if (this.#flushAt < this.#maxBatch && this.#queue.length >= this.#flushAt) this.#flush();
      else this.#schedule();
    });
  }

  /** Resolves once everything submitted so far has been written or rejected. */
  drain(): Promise<void> {
    if (this.#inFlight === 0 && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  get pending(): number {
    return this.#queue.length;
  }

  stats(): GroupCommitStats {
    return { ...this.#stats };
  }

  #schedule(): void {
    if (this.#inFlight >= this.#maxInFlight) return;
    if (this.#queue.length >= this.#maxBatch) {
      queueMicrotask(() => this.#flush());
    } else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        this.#flush();
      });
    }
  }

  #flush(): void {
    if (this.#inFlight >= this.#maxInFlight || this.#queue.length === 0) return;
    this.#inFlight += 1;
    const batch = this.#queue.splice(0, this.#maxBatch);
    let written: Promise<O[]>;
    try {
      written = Promise.resolve(this.#write(batch.map((p) => p.item)));
    } catch (err) {
      written = Promise.reject(err);
    }
    written.catch(() => undefined); // handled below, maybe only once the batch before settles
    const before = this.#tail;
    this.#tail = before.then(() => written).then(
      (out) => {
        this.#count(batch.length);
        batch.forEach((p, i) => p.resolve(out[i]!));
        this.#settled();
      },
      (err: unknown) => {
        this.#stats.failedBatches += 1;
        for (const p of batch) p.reject(err);
        this.#settled();
      },
    );
    // Another batch may go to the writer now if there is room and something waits.
    if (this.#queue.length > 0) this.#schedule();
  }

  #settled(): void {
    this.#inFlight -= 1;
    if (this.#queue.length > 0) {
      this.#schedule();
    } else if (this.#inFlight === 0) {
      for (const resolve of this.#idle.splice(0)) resolve();
    }
  }

  #count(n: number): void {
    this.#stats.batches += 1;
    this.#stats.items += n;
    if (n > this.#stats.largestBatch) this.#stats.largestBatch = n;
  }
}
