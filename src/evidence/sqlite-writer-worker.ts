/**
 * The evidence writer thread. Its connection commits with fsync (synchronous=FULL); doing
 * that here keeps the main event loop — every live call's IVR — from stalling on the disk.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { SqliteBatchWriter, type ChainRun, type WireAppend } from './sqlite-batch-writer.js';

export type WriterRequest =
  | { readonly id: number; readonly items: readonly WireAppend[] }
  | { readonly id: number; readonly close: true }
  | { readonly id: -1; readonly autocheckpoint: true };
/** id 0 says the thread has opened the file and takes batches. */
export type WriterReply =
  | { readonly id: number; readonly ok: true; readonly run: ChainRun | null }
  | { readonly id: number; readonly ok: false; readonly message: string };

const { path } = workerData as { path: string };
const db = new Database(path);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.pragma('busy_timeout = 5000');
// The checkpointer thread checkpoints, off the commit path (sqlite-checkpoint-worker.ts).
db.pragma('wal_autocheckpoint = 0');
const writer = new SqliteBatchWriter(db);
parentPort!.postMessage({ id: 0, ok: true, run: null } satisfies WriterReply);

parentPort!.on('message', (req: WriterRequest) => {
  if ('autocheckpoint' in req) {
    db.pragma('wal_autocheckpoint = 1000'); // the checkpointer thread is gone: SQLite's default again
    return;
  }
  if ('close' in req) {
    writer.close();
    parentPort!.postMessage({ id: req.id, ok: true, run: null } satisfies WriterReply);
    parentPort!.close();
    return;
  }
  try {
    parentPort!.postMessage({ id: req.id, ok: true, run: writer.write(req.items) } satisfies WriterReply);
  } catch (err) {
    parentPort!.postMessage({ id: req.id, ok: false, message: (err as Error).message } satisfies WriterReply);
  }
});
