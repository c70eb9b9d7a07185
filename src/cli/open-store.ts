import { PgTokenStore } from '../api/tokens-pg.js';
import { SqliteTokenStore, type TokenStore } from '../api/tokens.js';
import { resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import { openPg } from '../db/pg.js';
import { parseDatabaseUrl, type DatabaseTarget } from '../db/pg-url.js';
import { openSqlite } from '../db/sqlite.js';
import { databaseTarget } from '../evidence/open-store.js';
import { openPgEvidenceStore } from '../evidence/pg-store.js';
import { openSqliteEvidenceStore } from '../evidence/sqlite-store.js';
import type { EvidenceStore } from '../evidence/store.js';
import { ConfigError, UsageError } from './command.js';

export const DEFAULT_DB_PATH = './data/consentline.sqlite';

/** The `--db` option every store-reading command accepts: a SQLite file, `sqlite:PATH` or `postgres://…`. */
export const DB_OPTION = { db: { type: 'string' } } as const;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The database a CLI command works on: `--db` (a file path or a database URL), else
 * CONSENTLINE_DATABASE_URL, else CONSENTLINE_DB (a file), else ./data/consentline.sqlite.
 */
export function dbTargetFromArgs(args: { readonly db?: string | undefined }, env: Env): DatabaseTarget {
  const given = args.db ?? env.CONSENTLINE_DATABASE_URL;
  if (given !== undefined && /^(sqlite:|postgres(ql)?:\/\/)/.test(given)) {
    const parsed = parseDatabaseUrl(given);
    // From --db it is a usage error; from the environment, a configuration error.
    if (!parsed.ok && args.db === undefined) throw new ConfigError(`CONSENTLINE_DATABASE_URL: ${parsed.problem}`);
    if (!parsed.ok) throw new UsageError(`--db: ${parsed.problem}`);
    return parsed.target;
  }
  return { kind: 'sqlite', path: given ?? env.CONSENTLINE_DB ?? DEFAULT_DB_PATH };
}

/** For commands that read the configuration: `--db` when given, else the configured database. */
export function configuredDbTarget(args: { readonly db?: string | undefined }, config: Pick<Config, 'database' | 'service'>): DatabaseTarget {
  if (args.db === undefined) return databaseTarget(config);
  const given = dbTargetFromArgs(args, {});
  return given.kind === 'sqlite' ? { kind: 'sqlite', path: resolve(given.path) } : given;
}

/** The evidence store at `target`; it must exist: a typo must not create an empty one. */
export function openStoreAt(target: DatabaseTarget): Promise<EvidenceStore> {
  if (target.kind === 'sqlite') return openSqliteEvidenceStore({ path: target.path, mustExist: true });
  return openPgEvidenceStore({ url: target.url, max: 2 });
}

/** Opens the evidence store a CLI command works on (`--db` and the environment). */
export function openStoreFromArgs(args: { readonly db?: string | undefined }, env: Env): Promise<EvidenceStore> {
  return openStoreAt(dbTargetFromArgs(args, env));
}

/** The API token table on either engine, closed after `fn`. */
export async function withTokenStore<T>(args: { readonly db?: string | undefined }, env: Env, fn: (tokens: TokenStore) => Promise<T>): Promise<T> {
  const target = dbTargetFromArgs(args, env);
  if (target.kind === 'sqlite') {
    const { db } = openSqlite({ path: target.path, mustExist: true });
    try {
      return await fn(new SqliteTokenStore(db));
    } finally {
      db.close();
    }
  }
  const { pool } = await openPg({ url: target.url, max: 1, applicationName: 'consentline-cli' });
  try {
    return await fn(new PgTokenStore(pool));
  } finally {
    await pool.end();
  }
}
