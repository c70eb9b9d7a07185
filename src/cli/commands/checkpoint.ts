import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadOrCreateSigner } from '../../evidence/checkpoint.js';
import { readSideCheckpoints } from '../../evidence/open-read-side.js';
import { EXIT, UsageError, type Command, type ExitCode } from '../command.js';
import { DB_OPTION, engineFromArgs } from '../open-store.js';
import { progressReporter } from '../progress.js';

/** Where the service keeps the key when the data directory holds the database (the default layout). */
export function defaultCheckpointKeyPath(dbPath: string): string {
  return join(dirname(dbPath), 'secrets', 'checkpoint-ed25519.pem');
}

export const DEFAULT_CHECKPOINT_ORIGIN = 'consentline/ledger';

export const checkpointCreate: Command = {
  name: 'checkpoint create',
  summary: 'sign a checkpoint over the ledger now and print it (a C2SP signed note)',
  usage: 'consentline checkpoint create [--db path|url] [--key pem] [--origin name]',
  async run(argv, io): Promise<ExitCode> {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: { ...DB_OPTION, key: { type: 'string' }, origin: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length) throw new UsageError('unexpected argument(s)');
    const engine = engineFromArgs(values, io.env);
    // The default key sits beside a database file; a database server has no "beside".
    if (engine.file === undefined && !values.key) throw new UsageError('--key is required with a PostgreSQL --db (the key of the instance that signs)');
    // The database first: a mistyped --db must not leave a new key beside it.
    const side = await engine.openReadSide({ mustExist: true });
    try {
      let signer;
      try {
        signer = loadOrCreateSigner(values.key ?? defaultCheckpointKeyPath(engine.file ?? ''), values.origin ?? DEFAULT_CHECKPOINT_ORIGIN).signer;
      } catch (err) {
        throw new UsageError(`checkpoint key: ${(err as Error).message}`);
      }
      // The chain is verified (from the last checkpoint on) before anything is signed.
      const progress = progressReporter(io, { label: 'verifying before signing: events' });
      const service = readSideCheckpoints(side, { signer, onVerifyProgress: ({ checked }) => progress.update(checked) });
      const r = await service.create();
      progress.finish();
      if (!r.ok) {
        io.out(r.reason === 'ledger_broken' ? `checkpoint REFUSED: the ledger is broken at seq ${r.verify.brokenAt} (${r.verify.reason})` : 'checkpoint REFUSED: the ledger no longer holds the last checkpoint');
        return EXIT.failed;
      }
      io.out(r.checkpoint.note.trimEnd());
      io.err(r.created ? `signed a checkpoint at tree size ${r.checkpoint.treeSize}` : `the ledger has not grown: latest checkpoint at tree size ${r.checkpoint.treeSize}`);
      io.err(`verifier key: ${signer.verifierKey}`);
      return EXIT.ok;
    } finally {
      await side.close();
    }
  },
};
