import { parseArgs } from 'node:util';
import type { VerifyResult } from '../../evidence/types.js';
import { verifyStoreRange } from '../../evidence/verify.js';
import { EXIT, positiveInt, UsageError, type CliIo, type Command, type ExitCode } from '../command.js';
import { DB_OPTION, openStoreFromArgs } from '../open-store.js';
import { progressReporter } from '../progress.js';

type Reason = Extract<VerifyResult, { ok: false }>['reason'];

const EXPLAIN: Record<Reason, string> = {
  hash_mismatch: "the event's content (call id, time, kind or data) no longer matches its hash",
  prev_hash_mismatch: 'the event does not link to the one before it (events reordered, replaced or re-hashed)',
  seq_gap: 'one or more events before it are missing',
  seq_order: 'events are out of order or duplicated',
};

export const ledgerVerify: Command = {
  name: 'ledger verify',
  summary: 'verify the evidence hash chain; exit 0 when intact, 1 at the first broken link',
  usage: 'consentline ledger verify [--db path] [--from N] [--to N]',
  async run(argv, io): Promise<ExitCode> {
    const { values } = parseArgs({
      args: [...argv],
      options: { ...DB_OPTION, from: { type: 'string' }, to: { type: 'string' } },
      strict: true,
    });
    const fromSeq = positiveInt(values.from, '--from');
    const toSeq = positiveInt(values.to, '--to');
    if (fromSeq !== undefined && toSeq !== undefined && toSeq < fromSeq) throw new UsageError('--to must not be below --from');

    const store = await openStoreFromArgs(values, io.env);
    try {
      const head = await store.head();
      const last = Math.min(toSeq ?? Infinity, head?.seq ?? 0);
      const progress = progressReporter(io, { label: 'verifying: events', total: Math.max(0, last - (fromSeq ?? 1) + 1) });
      const result = await verifyStoreRange(
        store,
        { ...(fromSeq === undefined ? {} : { fromSeq }), ...(toSeq === undefined ? {} : { toSeq }) },
        { progressEvery: 10_000, onProgress: ({ checked }) => progress.update(checked) },
      );
      progress.update(result.checked);
      progress.finish();
      return report(result, fromSeq ?? 1, io);
    } finally {
      await store.close();
    }
  },
};

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
