import type { PgQueryable } from '../db/pg.js';
import type { CopiedTable, CopiedTables } from '../db/table-copy.js';
import { ledgerLockName } from './pg-store.js';
import { EVENT_COLUMNS } from './sqlite-rows.js';

// The ledger's part of `consentline migrate-store` (SQLite -> PostgreSQL): its tables, the lock
// and the bookkeeping around the copy. The command reaches the ledger only through this module
// and the chain checks (verify.ts, pg-chain-check.ts).

const text = (n: number): string[] => Array<string>(n).fill('text');

/**
 * The ledger's tables in the order they are copied, with their PostgreSQL column types: events
 * go in before subjects and marketing_consents, so the target's triggers on events add nothing
 * meanwhile (the registry is copied as it is).
 */
export const LEDGER_TABLES: CopiedTables = {
  events: { cols: EVENT_COLUMNS.split(', '), types: ['bigint', 'text', 'text', 'text', 'json', 'text', 'text'], integerKey: true },
  calls: {
    cols: ['call_id', 'started_at', 'flow_id', 'did', 'caller_lookup', 'caller_masked', 'language', 'legal_basis', 'outcome', 'recording', 'marketing', 'ended_at', 'server'],
    types: text(13),
  },
  subjects: { cols: ['commitment', 'lookup_key', 'masked', 'e164', 'salt', 'call_id'], types: text(6) },
  checkpoints: {
    cols: ['id', 'tree_size', 'root_hash', 'origin', 'key_id', 'note', 'created_at'],
    types: ['bigint', 'bigint', ...text(5)],
    integerKey: true,
    // SQLite allows two checkpoints of one size (the CLI and the service signing at once);
    // PostgreSQL keeps one per size, as several instances sign there: the first one stays.
    onConflict: 'ON CONFLICT (tree_size) DO NOTHING',
  },
  marketing_consents: {
    cols: ['lookup_key', 'state', 'since', 'seq', 'call_id', 'how', 'controller', 'channels', 'text_version'],
    types: [...text(3), 'bigint', ...text(5)],
  },
};

/**
 * The ledger's caches: safe to leave behind. merkle_nodes is rebuilt from events on first use;
 * call_facts and call_day_stats are refilled by the target's triggers as events and calls go in.
 */
export const LEDGER_CACHES: readonly string[] = ['merkle_nodes', 'call_facts', 'call_day_stats'];

/** Takes the ledger's append lock for the transaction, so no instance appends during the copy. */
export async function lockPgLedger(client: PgQueryable): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [ledgerLockName(undefined)]);
}

/**
 * Copies the ledger's tables, in order, with `copyOne` (the command's copier, with its progress
 * lines) inside the caller's transaction, which holds {@link lockPgLedger}; copied checkpoint ids
 * keep their values, so the identity goes on after the highest.
 */
export async function copyLedgerToPg(client: PgQueryable, copyOne: (table: string, spec: CopiedTable) => Promise<void>): Promise<void> {
  for (const [table, spec] of Object.entries(LEDGER_TABLES)) await copyOne(table, spec);
  await client.query(`SELECT setval(pg_get_serial_sequence('checkpoints', 'id'), GREATEST((SELECT max(id) FROM checkpoints), 1), (SELECT count(*) > 0 FROM checkpoints))`);
}
