import { parseArgs } from 'node:util';
import type { VerifyResult } from '../../evidence/types.js';
import { verifyStoreRange } from '../../evidence/verify.js';
import { EXIT, positiveInt, UsageError, type CliIo, type Command, type ExitCode } from '../command.js';
import { DB_OPTION, openStoreFromArgs } from '../open-store.js';

type Reason = Extract<VerifyResult, { ok: false }>['reason'];

const EXPLAIN: Record<Reason, string> = {
  hash_mismatch: "the event's content (call id, time, kind or data) no longer matches its hash",
  prev_hash_mismatch: 'the event does not link to the one before it (events reordered, replaced or re-hashed)',
  seq_gap: 'one or more events before it are missing',
  seq_order: 'events are out of order or duplicated',
};

const PROGRESS_INTERVAL_MS = 1_000;

export const ledgerVerify: Command = {
  name: 'ledger verify',
  summary: 'verify the evidence hash chain; exit 0 when intact, 1 at the first broken link',
  usage: 'consentline ledger verify [--db path] [--from-seq N] [--to-seq N]   (--from/--to: deprecated names)',
  async run(argv, io): Promise<ExitCode> {
    const { values } = parseArgs({
      args: [...argv],
      options: { ...DB_OPTION, 'from-seq': { type: 'string' }, 'to-seq': { type: 'string' }, from: { type: 'string' }, to: { type: 'string' } },
      strict: true,
    });
    const fromSeq = seqOption(values, 'from', io);
    const toSeq = seqOption(values, 'to', io);
    if (fromSeq !== undefined && toSeq !== undefined && toSeq < fromSeq) throw new UsageError('--to-seq must not be below --from-seq');

    const store = await openStoreFromArgs(values, io.env);
    try {
      const head = await store.head();
      const last = Math.min(toSeq ?? Infinity, head?.seq ?? 0);
      const started = io.now();
      let lastReport = started;
      const result = await verifyStoreRange(
        store,
        { ...(fromSeq === undefined ? {} : { fromSeq }), ...(toSeq === undefined ? {} : { toSeq }) },
        {
          progressEvery: 10_000,
          onProgress: ({ checked, lastSeq }) => {
            const now = io.now();
            if (now - lastReport < PROGRESS_INTERVAL_MS) return;
            lastReport = now;
            const rate = Math.round(checked / ((now - started) / 1000));
            io.err(`verifying… seq ${lastSeq} of ${last}, ${checked} events checked (${rate}/s)`);
          },
        },
      );
      return report(result, fromSeq ?? 1, io);
    } finally {
      await store.close();
    }
  },
};

/**
 * `--from-seq` / `--to-seq`, the API's `fromSeq` / `toSeq`; `--from` / `--to` are their old
 * names, accepted until the next release with a note on stderr.
 */
function seqOption(values: Record<string, string | boolean | undefined>, edge: 'from' | 'to', io: CliIo): number | undefined {
  const current = values[`${edge}-seq`] as string | undefined;
  const old = values[edge] as string | undefined;
  if (current !== undefined && old !== undefined) throw new UsageError(`give --${edge}-seq or --${edge}, not both`);
  if (old !== undefined) io.err(`note: --${edge} is deprecated; use --${edge}-seq (the API's ${edge}Seq)`);
  return positiveInt(current ?? old, old === undefined ? `--${edge}-seq` : `--${edge}`);
}

function report(result: VerifyResult, from: number, io: CliIo): ExitCode {
  if (result.ok) {
    const span = result.checked === 0 ? 'nothing in range' : `seq ${from}..${from + result.checked - 1}`;
    io.out(`ledger OK: ${result.checked} events verified (${span})`);
    io.out(`head hash ${result.headHash}`);
    return EXIT.ok;
  }
  io.out(`ledger BROKEN at seq ${result.brokenAt}: ${result.reason}: ${EXPLAIN[result.reason]}`);
  io.out(`${result.checked} events before it verified`);
  return EXIT.failed;
}
