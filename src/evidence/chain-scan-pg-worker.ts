// A ledger scan thread on PostgreSQL: its own one-connection pool with the evidence type parsers.
import { workerData } from 'node:worker_threads';
import { createPgPool } from '../db/pg.js';
import { serveScanChunks } from './chain-scan-worker.js';
import { pgChainRows } from './checkpoint-pg.js';

const { url, schema } = workerData as { url: string; schema?: string };
const pool = createPgPool({ url, max: 1, applicationName: 'consentline-scan', ...(schema === undefined ? {} : { schema }) });
serveScanChunks(pgChainRows(pool), () => pool.end());
