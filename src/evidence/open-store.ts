import { join, resolve } from 'node:path';
import type { Pool } from 'pg';
import { openPg } from '../db/pg.js';
import { describeDatabaseTarget, parseDatabaseUrl, withResolvedPath, type DatabaseTarget } from '../db/pg-url.js';
import type { Config } from '../config/schema.js';
import type { Clock } from '../shared/clock.js';
import type { EvidenceStore } from './store.js';
import { PgEvidenceStore } from './pg-store.js';
import { openSqliteEvidenceStore, type SqliteEvidenceStore } from './sqlite-store.js';

export type { DatabaseTarget } from '../db/pg-url.js';

type DatabaseConfig = Pick<Config, 'database'> & { readonly service: Pick<Config['service'], 'dataDir'> };

/**
 * Where the evidence database is: `database.url` when set, else the SQLite file at
 * `database.path`, else `<dataDir>/consentline.sqlite`. Relative SQLite paths resolve
 * against the working directory, as before.
 */
export function databaseTarget(config: DatabaseConfig): DatabaseTarget {
  const { url, path } = config.database;
  if (url !== undefined) {
    const parsed = parseDatabaseUrl(url);
    // The schema validated it already; this guards callers that built a config by hand.
    if (!parsed.ok) throw new TypeError(`database.url: ${parsed.problem}`);
    return withResolvedPath(parsed.target, (path) => resolve(path));
  }
  return { kind: 'sqlite', path: resolve(path ?? join(resolve(config.service.dataDir), 'consentline.sqlite')) };
}

/** The target for logs: the file path, or the URL without its password. */
export const describeTarget: (target: DatabaseTarget) => string = describeDatabaseTarget;

/** An opened evidence store; the caller closes `store`. */
export interface OpenedEvidenceStore {
  readonly store: EvidenceStore;
}

export interface OpenEvidenceStoreOptions {
  readonly clock?: Clock;
  /** Refuse to create a new SQLite file (read-side tools). */
  readonly mustExist?: boolean;
  readonly maxBatch?: number;
  /** PostgreSQL pool size (default 4). */
  readonly poolSize?: number;
}

type StoreOptions = Pick<OpenEvidenceStoreOptions, 'clock' | 'maxBatch'>;

function storeOptions(opts: StoreOptions): StoreOptions {
  return {
    ...(opts.clock === undefined ? {} : { clock: opts.clock }),
    ...(opts.maxBatch === undefined ? {} : { maxBatch: opts.maxBatch }),
  };
}

/** The evidence store in the SQLite file at `path`, migrated and ready; the caller closes it. */
export async function openSqliteEvidence(path: string, opts: OpenEvidenceStoreOptions = {}): Promise<{ readonly store: SqliteEvidenceStore }> {
  const store = await openSqliteEvidenceStore({ path, ...storeOptions(opts), ...(opts.mustExist ? { mustExist: true } : {}) });
  return { store };
}

/**
 * The evidence store in the PostgreSQL database at `url`, on its own pool (the store closes it);
 * `pool` is that pool, which the service's API tokens share.
 */
export async function openPgEvidence(url: string, opts: OpenEvidenceStoreOptions = {}): Promise<{ readonly store: PgEvidenceStore; readonly pool: Pool }> {
  const { pool } = await openPg({ url, ...(opts.poolSize === undefined ? {} : { max: opts.poolSize }) });
  try {
    const store = await PgEvidenceStore.create(pool, { ...storeOptions(opts), ownsPool: true });
    return { store, pool };
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
}
