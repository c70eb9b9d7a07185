import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { CheckpointService, loadOrCreateSigner } from '../../evidence/checkpoint.js';
import { SqliteCheckpointRepo, SqliteLedgerTree } from '../../evidence/checkpoint-sqlite.js';
import { SqliteEvidenceQueries } from '../../evidence/queries-sqlite.js';
import { openSqlite } from '../../db/sqlite.js';
import { EXIT, UsageError, type Command, type ExitCode } from '../command.js';
import { DB_OPTION, dbPathFromArgs } from '../open-store.js';

/** Where the service keeps the key when the data directory holds the database (the default layout). */
export function defaultCheckpointKeyPath(dbPath: string): string {
  return join(dirname(dbPath), 'secrets', 'checkpoint-ed25519.pem');
}

export const DEFAULT_CHECKPOINT_ORIGIN = 'consentline/ledger';

export const checkpointCreate: Command = {
  name: 'checkpoint create',
  summary: 'sign a checkpoint over the ledger now and print it (a C2SP signed note)',
  usage: 'consentline checkpoint create [--db path] [--key pem] [--origin name]',
  async run(argv, io): Promise<ExitCode> {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: { ...DB_OPTION, key: { type: 'string' }, origin: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length) throw new UsageError('unexpected argument(s)');
    const dbPath = dbPathFromArgs(values, io.env);
    const { db } = openSqlite({ path: dbPath, mustExist: true });
    try {
      let signer;
      try {
        signer = loadOrCreateSigner(values.key ?? defaultCheckpointKeyPath(dbPath), values.origin ?? DEFAULT_CHECKPOINT_ORIGIN).signer;
      } catch (err) {
        throw new UsageError(`checkpoint key: ${(err as Error).message}`);
      }
      const queries = new SqliteEvidenceQueries(db);
      const service = new CheckpointService({
        tree: new SqliteLedgerTree(db),
        repo: new SqliteCheckpointRepo(db),
        signer,
        verifyRange: (r) => queries.verifyLedger(r),
      });
      const r = await service.create();
      if (!r.ok) {
        io.out(r.reason === 'ledger_broken' ? `checkpoint REFUSED: the ledger is broken at seq ${r.verify.brokenAt} (${r.verify.reason})` : 'checkpoint REFUSED: the ledger no longer holds the last checkpoint');
        return EXIT.failed;
      }
      io.out(r.checkpoint.note.trimEnd());
      io.err(r.created ? `signed a checkpoint at tree size ${r.checkpoint.treeSize}` : `the ledger has not grown: latest checkpoint at tree size ${r.checkpoint.treeSize}`);
      io.err(`verifier key: ${signer.verifierKey}`);
      return EXIT.ok;
    } finally {
      db.close();
    }
  },
};
