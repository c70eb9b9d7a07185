import { openSqliteEvidenceStore } from '../evidence/sqlite-store.js';
import type { EvidenceStore } from '../evidence/store.js';

export const DEFAULT_DB_PATH = './data/consentline.sqlite';

/** The `--db` option every store-reading command accepts. */
export const DB_OPTION = { db: { type: 'string' } } as const;

export function dbPathFromArgs(args: { readonly db?: string | undefined }, env: Readonly<Record<string, string | undefined>>): string {
  return args.db ?? env.CONSENTLINE_DB ?? DEFAULT_DB_PATH;
}

/**
 * Opens the evidence store a CLI command works on: `--db`, else CONSENTLINE_DB, else
 * ./data/consentline.sqlite. The single place to swap for the config loader later.
 */
export async function openStoreFromArgs(
  args: { readonly db?: string | undefined },
  env: Readonly<Record<string, string | undefined>>,
): Promise<EvidenceStore> {
  return openSqliteEvidenceStore({ path: dbPathFromArgs(args, env), mustExist: true });
}
