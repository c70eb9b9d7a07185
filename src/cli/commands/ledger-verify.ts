import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseVerifierKey, type NoteVerifier } from '../../evidence/checkpoint.js';
import { publicKeyFromPemFile, type TrustedKeys } from '../../evidence/checkpoint-check.js';
import { auditLedger } from '../../evidence/ledger-audit.js';
import type { Engine } from '../../db/engine.js';
import { EXIT, positiveInt, UsageError, type CliIo, type Command, type ExitCode } from '../command.js';
import { DB_OPTION, engineFromArgs } from '../open-store.js';
import { defaultCheckpointKeyPath } from './checkpoint.js';
import { reportAudit } from './ledger-verify-report.js';
import { progressReporter } from '../progress.js';

export const ledgerVerify: Command = {
  name: 'ledger verify',
  summary: 'verify the evidence hash chain and every signed checkpoint; exit 0 when intact, 1 when not',
  usage: 'consentline ledger verify [--db path|url] [--from-seq N] [--to-seq N] [--key verifier-key|pem]...   (--from/--to: deprecated names)',
  async run(argv, io): Promise<ExitCode> {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        ...DB_OPTION,
        'from-seq': { type: 'string' },
        'to-seq': { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        key: { type: 'string', multiple: true },
      },
      strict: true,
    });
    const fromSeq = seqOption(values, 'from', io);
    const toSeq = seqOption(values, 'to', io);
    if (fromSeq !== undefined && toSeq !== undefined && toSeq < fromSeq) throw new UsageError('--to-seq must not be below --from-seq');
    const engine = engineFromArgs(values, io.env);
    const keys = trustedKeys(values.key ?? [], engine);

    const side = await engine.openReadSide({ mustExist: true, poolSize: 2 });
    try {
      const head = await side.tree.size();
      const last = Math.min(toSeq ?? Infinity, head);
      const progress = progressReporter(io, { label: 'verifying: events', total: Math.max(0, last - (fromSeq ?? 1) + 1) });
      const audit = await auditLedger(
        { events: (r) => side.queries.events(r), checkpoints: side.checkpointRepo, keys },
        {
          range: { ...(fromSeq === undefined ? {} : { fromSeq }), ...(toSeq === undefined ? {} : { toSeq }) },
          total: Math.max(0, last - (fromSeq ?? 1) + 1),
          progressEvery: 10_000,
          onProgress: ({ done }) => progress.update(done),
        },
      );
      progress.update(audit.chain.checked);
      progress.finish();
      return reportAudit(audit, fromSeq ?? 1, io) ? EXIT.ok : EXIT.failed;
    } finally {
      await side.close();
    }
  },
};

/**
 * The keys checkpoints must be signed with: each --key is a verifier key
 * (`name+hash+base64key`, as /checkpoints/public-key gives it) or a PEM file holding the
 * key; without one, the signing key beside a SQLite database, if there is one.
 */
function trustedKeys(given: readonly string[], engine: Pick<Engine, 'file'>): TrustedKeys {
  const verifiers: NoteVerifier[] = [];
  const publicKeys: Buffer[] = [];
  for (const key of given) {
    const verifier = parseVerifierKey(key);
    if (verifier) verifiers.push(verifier);
    else publicKeys.push(pemKey(key));
  }
  const { file } = engine;
  if (given.length === 0 && file !== undefined) {
    const beside = defaultCheckpointKeyPath(file);
    if (existsSync(beside)) publicKeys.push(pemKey(beside));
  }
  return { verifiers, publicKeys };
}

function pemKey(path: string): Buffer {
  try {
    return publicKeyFromPemFile(path);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new UsageError(`--key ${JSON.stringify(path)} is neither a verifier key (name+hash+base64key) nor a readable Ed25519 PEM file (${why})`);
  }
}

/**
 * `--from-seq` / `--to-seq`, the API's `fromSeq` / `toSeq`; `--from` / `--to` are their old
 * names, accepted until the next release with a note on stderr.
 */
function seqOption(values: Record<string, string | string[] | boolean | undefined>, edge: 'from' | 'to', io: CliIo): number | undefined {
  const current = values[`${edge}-seq`] as string | undefined;
  const old = values[edge] as string | undefined;
  if (current !== undefined && old !== undefined) throw new UsageError(`give --${edge}-seq or --${edge}, not both`);
  if (old !== undefined) io.err(`note: --${edge} is deprecated; use --${edge}-seq (the API's ${edge}Seq)`);
  return positiveInt(current ?? old, old === undefined ? `--${edge}-seq` : `--${edge}`);
}
