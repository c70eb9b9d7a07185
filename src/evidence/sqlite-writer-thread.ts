import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ChainSlot, WireAppend } from './sqlite-batch-writer.js';
import type { WriterReply, WriterRequest } from './sqlite-writer-worker.js';

/**
 * Built code runs the worker's .js directly. From TypeScript sources (tsx, vitest) the worker
 * thread first registers tsx's loader, then imports the .ts entry.
 */
function startWorker(workerData: unknown): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./sqlite-writer-worker.js', import.meta.url), { workerData });
  const entry = new URL('./sqlite-writer-worker.ts', import.meta.url).href;
  const tsxDir = dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const tsxApi = pathToFileURL(join(tsxDir, 'dist/esm/api/index.mjs')).href;
  const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true, workerData });
}

/** The main-thread side of the writer thread: one batch in, its chain slots out. */
export class SqliteWriterThread {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (slots: ChainSlot[]) => void; reject: (err: Error) => void }>();
  #next = 0;
  #dead: Error | null = null;

  constructor(path: string) {
    this.#worker = startWorker({ path });
    this.#worker.on('message', (reply: WriterReply) => {
      const waiter = this.#pending.get(reply.id);
      if (!waiter) return;
      this.#pending.delete(reply.id);
      if (reply.ok) waiter.resolve(reply.slots);
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

  write(items: readonly WireAppend[]): Promise<ChainSlot[]> {
    return this.#send({ id: ++this.#next, items });
  }

  async close(): Promise<void> {
    if (this.#dead) return;
    await this.#send({ id: ++this.#next, close: true }).catch(() => undefined);
    await this.#worker.terminate();
  }

  #send(req: WriterRequest): Promise<ChainSlot[]> {
    if (this.#dead) return Promise.reject(this.#dead);
    return new Promise((resolve, reject) => {
      this.#pending.set(req.id, { resolve, reject });
      this.#worker.postMessage(req);
    });
  }
}
