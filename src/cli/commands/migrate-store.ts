import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { openPg } from '../../db/pg.js';
import { withPgTransaction } from '../../db/pg-transaction.js';
import { parseDatabaseUrl, postgresUrlOf, redactDatabaseUrl, sqliteFileOf } from '../../db/pg-url.js';
import { copyTable, nonEmptyTargetTables, sourceRowCount, type CopiedTable, type CopiedTables } from '../../db/table-copy.js';
import { copyLedgerToPg, LEDGER_CACHES, LEDGER_TABLES, lockPgLedger } from '../../evidence/ledger-copy.js';
import { GENESIS_ANCHOR } from '../../evidence/chain.js';
import { pgLedgerHead, verifyPgChain } from '../../evidence/pg-chain-check.js';
import { openSqliteEvidenceStore } from '../../evidence/sqlite-store.js';
import type { VerifyResult } from '../../evidence/types.js';
import { verifyStoreRange } from '../../evidence/verify.js';
import { EXIT, positiveInt, UsageError, type Command, type ExitCode } from '../command.js';
import { progressReporter } from '../progress.js';

/** Thrown inside the target's transaction to roll it back and end with `exitCode`. */
class RolledBack extends Error {
  constructor(readonly exitCode: ExitCode) {
    super('migrate-store: rolled back');
  }
}

const text = (n: number): string[] => Array<string>(n).fill('text');
const RECORDING_COLUMNS = [
  'id', 'call_id', 'source', 'source_name', 'found_by', 'channel_uniqueid', 'linkedid', 'state', 'disposition',
  'quarantine_reason', 'started_at', 'stopped_at', 'stop_reason', 'context_id', 'plaintext_bytes', 'plaintext_sha256',
  'ciphertext_bytes', 'ciphertext_sha256', 'key_id', 'store', 'object_key', 'version_id', 'retain_until', 'attempts',
  'next_attempt_at', 'last_error', 'last_error_at', 'claimed_by', 'claimed_until', 'delete_after', 'created_at', 'updated_at',
  'spool_id', 'legal_hold_mirrored',
] as const;
const BIGINT_RECORDING_COLUMNS = new Set(['plaintext_bytes', 'ciphertext_bytes']);
const INTEGER_RECORDING_COLUMNS = new Set(['attempts', 'legal_hold_mirrored']);

/**
 * The service's tables other than the ledger's (src/evidence/ledger-copy.ts names those), moved
 * after them in this order, with their PostgreSQL column types; each has a PostgreSQL migration.
 * The first column is the key the copy pages by.
 */
const SERVICE_TABLES: CopiedTables = {
  api_tokens: { cols: ['id', 'name', 'role', 'token_hash', 'created_at', 'revoked_at', 'subject'], types: text(7) },
  // Console sign-ins go along (after their tokens), so nobody is signed out by the move.
  console_sessions: { cols: ['id_hash', 'token_id', 'csrf', 'created_at', 'last_seen_at', 'ended_at'], types: text(6) },
  recordings: {
    cols: [...RECORDING_COLUMNS],
    types: RECORDING_COLUMNS.map((c) => (BIGINT_RECORDING_COLUMNS.has(c) ? 'bigint' : INTEGER_RECORDING_COLUMNS.has(c) ? 'integer' : 'text')),
  },
  legal_holds: {
    cols: ['id', 'scope', 'target', 'reason', 'set_by', 'set_by_name', 'set_at', 'release_requested_by', 'release_requested_by_name',
      'release_requested_at', 'release_reason', 'released_by', 'released_by_name', 'released_at', 'release_requested_subject'],
    types: text(15),
  },
  retention_deletions: {
    cols: ['recording_id', 'call_id', 'object_key', 'version_id', 'reason', 'state', 'run_id', 'attempts', 'detail', 'retain_until', 'marked_at', 'finished_at'],
    types: [...text(7), 'integer', ...text(4)],
  },
  erasure_requests: { cols: ['id', 'requested_by', 'requested_at', 'done_at', 'certificate'], types: text(5) },
  retention_runs: { cols: ['id', 'started_at', 'finished_at', 'status', 'dry_run', 'report'], types: [...text(4), 'integer', 'text'] },
  // Recording assurance (migration 0080): Asterisk's CEL records, the runs and their findings.
  asterisk_cel: {
    cols: ['id', 'received_at', 'event_time', 'event_name', 'uniqueid', 'linkedid', 'channel_tech', 'context', 'application', 'app_arg'],
    types: ['bigint', ...text(9)],
    integerKey: true,
    serialId: true,
  },
  assurance_runs: { cols: ['id', 'started_at', 'finished_at', 'window_from', 'window_to', 'trigger', 'status', 'summary'], types: text(8) },
  assurance_findings: {
    cols: ['id', 'kind', 'subject', 'call_id', 'recording_id', 'occurred_at', 'detail', 'status', 'first_run', 'last_run', 'first_seen_at',
      'last_seen_at', 'acknowledged_by', 'acknowledged_at', 'ack_reason'],
    types: text(15),
  },
  // The agents registry (migration 0070): agents before their interfaces.
  agents: { cols: ['agent_id', 'language', 'informed_on', 'document_version', 'document_sha256', 'created_at', 'updated_at'], types: text(7) },
  agent_interfaces: { cols: ['interface', 'agent_id'], types: text(2) },
};
const MOVED: CopiedTables = { ...LEDGER_TABLES, ...SERVICE_TABLES };

/** SQLite bookkeeping that is not data to move; a sweep lease ends with the old install. */
const IGNORED = new Set(['schema_migrations', 'retention_leases']);

export const migrateStore: Command = {
  name: 'migrate-store',
  summary: 'move an embedded SQLite install to PostgreSQL (events with their seq and hashes, calls, subjects, tokens, checkpoints, recordings, holds, deletions, erasures); chain verified before and after',
  usage: 'consentline migrate-store --from sqlite:PATH --to postgres://user@host:5432/db [--batch N] [--skip-unported]',
  async run(argv, io): Promise<ExitCode> {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: { from: { type: 'string' }, to: { type: 'string' }, batch: { type: 'string' }, 'skip-unported': { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length) throw new UsageError('unexpected argument(s)');
    const from = values.from === undefined ? null : parseDatabaseUrl(values.from);
    const to = values.to === undefined ? null : parseDatabaseUrl(values.to);
    const source = from?.ok ? sqliteFileOf(from.target) : undefined;
    if (source === undefined) throw new UsageError(`--from must be sqlite:PATH${from && !from.ok ? ` (${from.problem})` : ''}`);
    const targetUrl = to?.ok ? postgresUrlOf(to.target) : undefined;
    if (targetUrl === undefined) throw new UsageError(`--to must be a postgres:// URL${to && !to.ok ? ` (${to.problem})` : ''}`);
    const batch = positiveInt(values.batch, '--batch') ?? 5_000;

    // 1. The source chain must verify before anything is written.
    io.err(`migrate-store: verifying ${source}…`);
    const store = await openSqliteEvidenceStore({ path: source, mustExist: true, writerThread: false });
    let before: VerifyResult;
    try {
      const progress = progressReporter(io, { label: 'migrate-store: verifying source events', total: (await store.head())?.seq ?? 0 });
      before = await verifyStoreRange(store, {}, { onProgress: ({ checked }) => progress.update(checked) });
      progress.update(before.checked);
      progress.finish();
    } finally {
      await store.close();
    }
    if (!before.ok) {
      io.out(`source ledger BROKEN at seq ${before.brokenAt} (${before.reason}): nothing moved; run "consentline ledger verify --db ${source}"`);
      return EXIT.failed;
    }
    io.err(`migrate-store: source OK, ${before.checked} events, head ${before.headHash}`);

    const db = new Database(source, { readonly: true, fileMustExist: true });
    try {
      const count = (table: string) => sourceRowCount(db, table);
      // 2. Tables with no PostgreSQL port yet: refuse to leave data behind unless told to.
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[];
      const unported = tables.filter((t) => !(t in MOVED) && !IGNORED.has(t) && !LEDGER_CACHES.includes(t)).map((t) => ({ t, n: count(t) })).filter((x) => x.n > 0);
      if (unported.length) {
        const list = unported.map((x) => `${x.t} (${x.n} rows)`).join(', ');
        if (!values['skip-unported']) {
          io.out(`not moved: ${list} have no PostgreSQL migration yet; rerun with --skip-unported to move the rest and leave these in ${source}`);
          return EXIT.failed;
        }
        io.err(`migrate-store: leaving behind (no PostgreSQL migration yet): ${list}`);
      }

      // 3. One transaction on the target: all of it or nothing, under the ledger lock so no
      // instance appends meanwhile, and verified before it commits.
      const { pool } = await openPg({ url: targetUrl, max: 1 });
      try {
        try {
          await withPgTransaction(pool, async (client) => {
            await lockPgLedger(client);
            const [occupied] = await nonEmptyTargetTables(client, MOVED);
            if (occupied) {
              io.out(`target ${redactDatabaseUrl(targetUrl)} is not empty (${occupied.table}: ${occupied.rows} rows): nothing moved`);
              throw new RolledBack(EXIT.failed);
            }
            const copyOne = async (table: string, spec: CopiedTable) => {
              const progress = progressReporter(io, { label: `migrate-store: ${table}`, total: count(table) });
              const { read, leftOut } = await copyTable(db, client, table, spec, batch, (done) => progress.update(done));
              progress.finish();
              io.err(`migrate-store: ${table}: ${read - leftOut} rows${leftOut ? ` (${leftOut} left out: a second checkpoint of a tree size already moved)` : ''}`);
            };
            await copyLedgerToPg(client, copyOne);
            for (const [table, spec] of Object.entries(SERVICE_TABLES)) await copyOne(table, spec);
            const progress = progressReporter(io, { label: 'migrate-store: verifying target events', total: before.checked });
            const after = await verifyPgChain(client, batch, (checked) => progress.update(checked));
            progress.finish();
            if (!after.ok || after.checked !== before.checked || after.headHash !== before.headHash) {
              io.out(`target chain does not match the source after copying (${JSON.stringify(after)}): rolled back, nothing moved`);
              throw new RolledBack(EXIT.failed);
            }
          });
        } catch (err) {
          if (err instanceof RolledBack) return err.exitCode;
          throw err;
        }
        // 4. Read back once more, committed, through a fresh connection.
        const head = await pgLedgerHead(pool);
        if ((head?.hash ?? GENESIS_ANCHOR.hash) !== before.headHash || (head?.seq ?? 0) !== before.checked) {
          io.out(`target head after commit (${JSON.stringify(head)}) differs from the source head ${before.headHash}`);
          return EXIT.failed;
        }
      } finally {
        await pool.end();
      }
    } finally {
      db.close();
    }
    io.out(`moved ${before.checked} events to ${redactDatabaseUrl(targetUrl)}; chain verified on both sides`);
    io.out(`head hash ${before.headHash}`);
    return EXIT.ok;
  },
};
