import { resolve } from 'node:path';
import type { TokenStore } from '../api/tokens.js';
import type { Config } from '../config/schema.js';
import { engineFor, type Engine } from '../db/engine.js';
import { parseDatabaseUrl, withResolvedPath, type DatabaseTarget } from '../db/pg-url.js';
import { databaseTarget } from '../evidence/open-store.js';
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

/** The engine of the database a CLI command works on (`--db` and the environment, as {@link dbTargetFromArgs}). */
export function engineFromArgs(args: { readonly db?: string | undefined }, env: Env): Engine {
  return engineFor(dbTargetFromArgs(args, env));
}

/** For commands that read the configuration: `--db` when given, else the configured database. */
export function configuredDbTarget(args: { readonly db?: string | undefined }, config: Pick<Config, 'database' | 'service'>): DatabaseTarget {
  if (args.db === undefined) return databaseTarget(config);
  const given = dbTargetFromArgs(args, {});
  return withResolvedPath(given, (path) => resolve(path));
}

/** The evidence store at `target`; it must exist: a typo must not create an empty one. */
export function openStoreAt(target: DatabaseTarget): Promise<EvidenceStore> {
  return engineFor(target).openStore();
}

/** Opens the evidence store a CLI command works on (`--db` and the environment). */
export function openStoreFromArgs(args: { readonly db?: string | undefined }, env: Env): Promise<EvidenceStore> {
  return openStoreAt(dbTargetFromArgs(args, env));
}

/** The API token table on either engine, closed after `fn`. */
export async function withTokenStore<T>(args: { readonly db?: string | undefined }, env: Env, fn: (tokens: TokenStore) => Promise<T>): Promise<T> {
  const opened = await engineFor(dbTargetFromArgs(args, env)).openTokens();
  try {
    return await fn(opened.tokens);
  } finally {
    await opened.close();
  }
}
