// A ledger scan thread on SQLite: its own connection to the file, read-only in practice.
import Database from 'better-sqlite3';
import { workerData } from 'node:worker_threads';
import { serveScanChunks } from './chain-scan-worker.js';
import { sqliteChainRows } from './checkpoint-sqlite.js';

const { path } = workerData as { path: string };
const db = new Database(path, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
db.pragma('query_only = ON');
serveScanChunks(sqliteChainRows(db), async () => void db.close());
