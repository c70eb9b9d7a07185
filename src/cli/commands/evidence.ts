import { parseArgs } from 'node:util';
import type { CallSummary, JsonValue, StoredEvent } from '../../evidence/types.js';
import { EXIT, UsageError, type CliIo, type Command, type ExitCode } from '../command.js';
import { DB_OPTION, openStoreFromArgs } from '../open-store.js';

// Evidence data never carries numbers by contract; this guards the screen if one slips in.
const NEVER_SHOWN = new Set(['e164', 'callerNumber', 'number', 'salt', 'pepper']);
const MAX_VALUE = 24;

export const evidence: Command = {
  name: 'evidence',
  summary: "print one call's evidence timeline (masked caller number only)",
  usage: 'consentline evidence <call-id> [--db path]',
  async run(argv, io): Promise<ExitCode> {
    const { values, positionals } = parseArgs({ args: [...argv], options: { ...DB_OPTION }, allowPositionals: true, strict: true });
    const [callId, ...extra] = positionals;
    if (callId === undefined || extra.length > 0) throw new UsageError('expected exactly one call id');

    const store = await openStoreFromArgs(values, io.env);
    try {
      const [call, events] = await Promise.all([store.getCall(callId), store.callEvents(callId)]);
      if (!call && events.length === 0) {
        io.err(`no evidence for call ${callId}`);
        return EXIT.failed;
      }
      printCall(callId, call, io);
      printTimeline(events, io);
      return EXIT.ok;
    } finally {
      await store.close();
    }
  },
};

function printCall(callId: string, call: CallSummary | null, io: CliIo): void {
  io.out(`call ${callId}`);
  if (!call) {
    io.out('  (no call summary: events only)');
    return;
  }
  const rows: [string, string | null][] = [
    ['caller', call.callerMasked ?? '(none or erased)'],
    ['did', call.did],
    ['flow', call.flowId],
    ['legal basis', call.legalBasis],
    ['language', call.language],
    ['started', call.startedAt],
    ['ended', call.endedAt],
    ['outcome', call.outcome],
    ['recording', call.recording],
    ['marketing', call.marketing],
    ['server', call.server],
  ];
  for (const [label, value] of rows) io.out(`  ${label.padEnd(12)}${value ?? '-'}`);
}

function printTimeline(events: readonly StoredEvent[], io: CliIo): void {
  io.out('');
  io.out(`${'seq'.padStart(8)}  ${'time'.padEnd(24)}  ${'kind'.padEnd(22)}  ${'hash'.padEnd(12)}  data`);
  for (const e of events) {
    io.out(`${String(e.seq).padStart(8)}  ${e.at.padEnd(24)}  ${e.kind.padEnd(22)}  ${e.hash.slice(0, 12)}  ${keyData(e.data)}`);
  }
  io.out(`${events.length} events`);
}

/** `key=value` pairs, long values (hashes, commitments) shortened. */
export function keyData(data: { readonly [k: string]: JsonValue }): string {
  return Object.entries(data)
    .map(([k, v]) => `${k}=${NEVER_SHOWN.has(k) ? '[redacted]' : short(v)}`)
    .join(' ');
}

function short(v: JsonValue): string {
  const text = typeof v === 'string' ? v : JSON.stringify(v);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}
