import type { Worker } from 'node:worker_threads';
import { startSiblingWorker } from '../shared/worker-thread.js';
import type { ChainRun, WireAppend } from './sqlite-batch-writer.js';
import type { WriterReply, WriterRequest } from './sqlite-writer-worker.js';

/** How often the checkpointer copies committed WAL frames into the database file. */
const CHECKPOINT_EVERY_MS = 200;

/**
 * The main-thread side of the writer thread: one batch in, where it landed out. Batches are
 * written one after another in the order sent, so a second may be sent before the first is
 * answered; answers come back in the same order.
 */
export class SqliteWriterThread {
  readonly #worker: Worker;
  readonly #checkpointer: Worker;
  readonly #checkpointerExit: Promise<void>;
  readonly #pending = new Map<number, { resolve: (run: ChainRun | null) => void; reject: (err: Error) => void }>();
  #next = 0;
  #dead: Error | null = null;
  #closing = false;
  /** Resolves once the thread has opened the file (its first message); rejects if it cannot. */
  readonly ready: Promise<void>;

  constructor(path: string) {
    this.#worker = startSiblingWorker(import.meta.url, 'sqlite-writer-worker', { path });
    this.#checkpointer = startSiblingWorker(import.meta.url, 'sqlite-checkpoint-worker', { path, everyMs: CHECKPOINT_EVERY_MS });
    this.#checkpointer.unref();
    this.#checkpointerExit = new Promise((resolve) => this.#checkpointer.once('exit', () => resolve()));
    // Without the checkpointer the WAL would only grow: the writer takes checkpointing back.
    this.#checkpointer.on('error', () => undefined);
    void this.#checkpointerExit.then(() => {
      if (!this.#closing && !this.#dead) this.#worker.postMessage({ id: -1, autocheckpoint: true } satisfies WriterRequest);
    });
    this.ready = new Promise<void>((resolve, reject) => this.#pending.set(0, { resolve: () => resolve(), reject }));
    this.ready.catch(() => undefined); // the opener awaits it; a later death fails the pending writes
    this.#worker.on('message', (reply: WriterReply) => {
      const waiter = this.#pending.get(reply.id);
      if (!waiter) return;
      this.#pending.delete(reply.id);
      if (reply.ok) waiter.resolve(reply.run);
      else waiter.reject(new Error(reply.message));
    });
    const fail = (err: Error) => {
      this.#dead = err;
      for (const waiter of this.#pending.values()) waiter.reject(err);
      this.#pending.clear();
    };
    this.#worker.on('error', fail);
    this.#worker.on('exit', (code) => fail(new Error(`evidence writer thread exited (code ${code})`)));
  }

  async write(items: readonly WireAppend[]): Promise<ChainRun> {
    return (await this.#send({ id: ++this.#next, items }))!;
  }

  async close(): Promise<void> {
    this.#closing = true;
    this.#checkpointer.postMessage('close');
    await this.#checkpointerExit;
    if (this.#dead) return;
    await this.#send({ id: ++this.#next, close: true }).catch(() => undefined);
    await this.#worker.terminate();
  }

  #send(req: WriterRequest): Promise<ChainRun | null> {
    if (this.#dead) return Promise.reject(this.#dead);
    return new Promise((resolve, reject) => {
      this.#pending.set(req.id, { resolve, reject });
      this.#worker.postMessage(req);
    });
  }
}
