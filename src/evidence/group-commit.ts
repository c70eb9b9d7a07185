/** Writes one batch atomically and returns one result per item, in order; throws to fail all. */
export type BatchWriter<I, O> = (items: readonly I[]) => O[] | Promise<O[]>;

export interface GroupCommitStats {
  readonly batches: number;
  readonly items: number;
  readonly largestBatch: number;
  readonly failedBatches: number;
}

interface Pending<I, O> {
  readonly item: I;
  readonly resolve: (out: O) => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Queues items from many concurrent callers and hands them to a single writer in batches:
 * the first item schedules a flush on the next turn of the event loop, so everything
 * submitted meanwhile rides the same commit; a full batch flushes at once. One batch is in
 * flight at a time, so batches commit in submission order.
 */
export class GroupCommitter<I, O> {
  readonly #write: BatchWriter<I, O>;
  readonly #maxBatch: number;
  #queue: Pending<I, O>[] = [];
  #scheduled = false;
  #writing = false;
  #idle: (() => void)[] = [];
  #stats = { batches: 0, items: 0, largestBatch: 0, failedBatches: 0 };

  constructor(write: BatchWriter<I, O>, opts: { maxBatch: number }) {
    if (!(opts.maxBatch >= 1)) throw new RangeError('maxBatch must be at least 1');
    this.#write = write;
    this.#maxBatch = opts.maxBatch;
  }

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      this.#schedule();
    });
  }

  /** Resolves once everything submitted so far has been written or rejected. */
  drain(): Promise<void> {
    if (!this.#writing && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  get pending(): number {
    return this.#queue.length;
  }

  stats(): GroupCommitStats {
    return { ...this.#stats };
  }

  #schedule(): void {
    if (this.#writing) return;
    if (this.#queue.length >= this.#maxBatch) {
      queueMicrotask(() => void this.#flush());
    } else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        void this.#flush();
      });
    }
  }

  async #flush(): Promise<void> {
    if (this.#writing || this.#queue.length === 0) return;
    this.#writing = true;
    const batch = this.#queue.splice(0, this.#maxBatch);
    try {
      const out = await this.#write(batch.map((p) => p.item));
      this.#count(batch.length);
      batch.forEach((p, i) => p.resolve(out[i]!));
    } catch (err) {
      this.#stats.failedBatches += 1;
      for (const p of batch) p.reject(err);
    } finally {
      this.#writing = false;
    }
    if (this.#queue.length > 0) {
      this.#schedule();
    } else {
      for (const resolve of this.#idle.splice(0)) resolve();
    }
  }

  #count(n: number): void {
    this.#stats.batches += 1;
    this.#stats.items += n;
    if (n > this.#stats.largestBatch) this.#stats.largestBatch = n;
  }
}
