import { openPg } from '../db/pg.js';
import { openSqlite } from '../db/sqlite.js';
import type { Clock } from '../shared/clock.js';
import type { ScanOptions } from './chain-scan-pool.js';
import { CheckpointService, type CheckpointLock, type CheckpointRepo, type LedgerTree, type NoteSigner } from './checkpoint.js';
import { PgCheckpointLock, PgCheckpointRepo, PgLedgerTree } from './checkpoint-pg.js';
import { SqliteCheckpointRepo, SqliteLedgerTree } from './checkpoint-sqlite.js';
import type { MarketingRegistryRepo } from './marketing-rows.js';
import { PgMarketingRegistry } from './marketing-pg.js';
import { SqliteMarketingRegistry } from './marketing-sqlite.js';
import type { EvidenceQueries } from './queries.js';
import { PgEvidenceQueries } from './queries-pg.js';
import { SqliteEvidenceQueries } from './queries-sqlite.js';

/** The API's read side of the evidence database, on either engine, with one owner closing it. */
export interface ReadSide {
  readonly queries: EvidenceQueries;
  readonly tree: LedgerTree;
  readonly checkpointRepo: CheckpointRepo;
  /** Set on PostgreSQL, where several instances may sign: pass it to CheckpointService. */
  readonly checkpointLock: CheckpointLock | undefined;
  /** The marketing consent registry (dialers' look-ups, rebuild and check). */
  readonly marketing: MarketingRegistryRepo;
  /** Closes the connection (SQLite) or pool (PostgreSQL) opened for this read side. */
  close(): Promise<void>;
}

export interface OpenReadSideOptions {
  /** PostgreSQL schema holding the tables (tests); default the server's search_path. */
  readonly schema?: string;
  /** PostgreSQL pool size (default 4; at least 2, as the checkpoint lock holds one). */
  readonly poolSize?: number;
  /** Refuse to create a new SQLite file (read-side tools). */
  readonly mustExist?: boolean;
  /** Scan threads for long checkpoint passes (default one per core, from 200,000 events). */
  readonly scan?: ScanOptions;
}

/** The read side of the SQLite file at `path`, on its own connection. */
export function openSqliteReadSide(path: string, opts: Pick<OpenReadSideOptions, 'mustExist' | 'scan'> = {}): ReadSide {
  const { db } = openSqlite({ path, ...(opts.mustExist ? { mustExist: true } : {}) });
  return {
    queries: new SqliteEvidenceQueries(db),
    tree: new SqliteLedgerTree(db, { path, ...opts.scan }),
    checkpointRepo: new SqliteCheckpointRepo(db),
    checkpointLock: undefined,
    marketing: new SqliteMarketingRegistry(db),
    close: async () => void db.close(),
  };
}

/** The read side of the PostgreSQL database at `url`, on its own pool, migrating the schema first as the store does. */
export async function openPgReadSide(url: string, opts: Pick<OpenReadSideOptions, 'schema' | 'poolSize' | 'scan'> = {}): Promise<ReadSide> {
  const poolSize = opts.poolSize ?? 4;
  if (poolSize < 2) throw new RangeError('the read side needs a pool of at least 2 connections');
  const { pool } = await openPg({
    url,
    max: poolSize,
    applicationName: 'consentline-read',
    ...(opts.schema === undefined ? {} : { schema: opts.schema }),
  });
  return {
    queries: new PgEvidenceQueries(pool),
    tree: new PgLedgerTree(pool, { url, ...opts.scan, ...(opts.schema === undefined ? {} : { schema: opts.schema }) }),
    checkpointRepo: new PgCheckpointRepo(pool),
    checkpointLock: new PgCheckpointLock(pool, opts.schema),
    marketing: new PgMarketingRegistry(pool),
    close: () => pool.end(),
  };
}

/** The checkpoint service on a read side: its tree, repo, chain verification and lock. */
export function readSideCheckpoints(
  side: ReadSide,
  deps: { readonly signer: NoteSigner; readonly clock?: Clock; readonly onVerifyProgress?: (checked: number) => void },
): CheckpointService {
  return new CheckpointService({
    tree: side.tree,
    repo: side.checkpointRepo,
    signer: deps.signer,
    ...(deps.onVerifyProgress ? { onVerifyProgress: deps.onVerifyProgress } : {}),
    ...(deps.clock === undefined ? {} : { clock: deps.clock }),
    ...(side.checkpointLock === undefined ? {} : { lock: side.checkpointLock }),
  });
}
