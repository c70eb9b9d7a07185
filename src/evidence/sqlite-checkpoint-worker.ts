/**
 * The WAL checkpointer thread. The writer thread's connection does not checkpoint (its
 * wal_autocheckpoint is 0): an automatic checkpoint runs inside the commit that crosses the
 * threshold, so that commit's acknowledgement, and every append queued behind it, waited for
 * the copy into the database file and its fsync (the ack tail under load). Here a PASSIVE
 * checkpoint runs on its own connection every `everyMs`: it copies what is committed without
 * taking the write lock, so appends go on meanwhile. It changes nothing of durability: a
 * commit is durable once its WAL frames are fsynced, before any checkpoint.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { path, everyMs } = workerData as { path: string; everyMs: number };
const db = new Database(path);
db.pragma('synchronous = FULL');
db.pragma('busy_timeout = 5000');
db.pragma('wal_autocheckpoint = 0');

const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or locked: the next tick tries again.
  }
}, everyMs);

parentPort!.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort!.close();
});
