import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { FINDING_ID_PATTERN, FINDING_KINDS, type FindingView } from '../../assurance/findings.js';
import { AssuranceRunner, MAX_WINDOW_DAYS, type RunReport } from '../../assurance/runner.js';
import { AssuranceService, MAX_REASON_LENGTH } from '../../assurance/service.js';
import { engineFor, type AssuranceDatabase } from '../../db/engine.js';
import { openRecordingStore } from '../../recordings/pipeline/build.js';
import type { ObjectStore } from '../../recordings/storage/port.js';
import { systemClock } from '../../shared/clock.js';
import { createLogger } from '../../shared/log.js';
import { EXIT, UsageError, type CliIo, type Command, type ExitCode } from '../command.js';
import { configuredDbTarget } from '../open-store.js';
import { progressReporter } from '../progress.js';
import { recordingToolConfig } from '../tool-config.js';
import { dpoFromToken, TOOL_OPTIONS } from './retention.js';

/** `--from`/`--to`: a day (`to` includes it) or a date-time with a zone. */
function bound(value: string, edge: 'from' | 'to'): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const t = Date.parse(`${value}T00:00:00Z`);
    if (Number.isNaN(t)) throw new UsageError(`--${edge} is not a valid day`);
    return new Date(edge === 'to' ? t + 86_400_000 : t).toISOString();
  }
  if (!/[zZ]|[+-]\d{2}:?\d{2}$/.test(value) || Number.isNaN(Date.parse(value))) throw new UsageError(`--${edge} must be a day (YYYY-MM-DD) or a date-time with a zone`);
  return new Date(value).toISOString();
}

interface Tool {
  readonly db: AssuranceDatabase;
  readonly service: AssuranceService;
  close(): Promise<void>;
}

async function openTool(values: { config?: string | undefined; db?: string | undefined }, io: CliIo): Promise<Tool & { settleMinutes: number }> {
  const config = recordingToolConfig(values, io);
  const db = await engineFor(configuredDbTarget(values, config)).openAssuranceDatabase();
  let store: ObjectStore | null = null;
  try {
    store = openRecordingStore(config.recordings, resolve(config.service.dataDir)).store;
  } catch (err) {
    io.err(`recordings store not opened (${(err as Error).message}): stored objects are not listed`);
  }
  const log = createLogger({ level: 'silent' });
  const runner = new AssuranceRunner({ ...db, store, clock: systemClock, stasisApp: config.ari.app, stuckAfterMinutes: config.assurance.stuckAfterMinutes });
  const service = new AssuranceService({ repo: db.repo, runner, evidence: db.evidence, clock: systemClock, log });
  return {
    db,
    service,
    settleMinutes: config.assurance.settleMinutes,
    async close() {
      await store?.close();
      await db.close();
    },
  };
}

function describe(f: FindingView): string {
  const ack = f.status === 'acknowledged' ? `  acknowledged by ${f.acknowledgedBy} ${f.acknowledgedAt}: "${f.ackReason}"` : '';
  return `${f.status.toUpperCase().padEnd(12)} ${f.id}  ${f.kind}  ${f.subject}  ${f.occurredAt}  ${JSON.stringify(f.detail)}${ack}`;
}

function print(r: RunReport, io: CliIo): void {
  io.out(`assurance run ${r.runId}: ${r.from} .. ${r.to}`);
  const c = r.coverage;
  io.out(`sources: ${c.asteriskEvents} Asterisk CEL record(s) of ${c.asteriskCalls} call(s) in the consent flow; ${c.ledgerCalls} ledger call(s), ${c.ledgerCallsWithoutAsteriskRecord} without an Asterisk record; ${c.recordings} recording(s); store ${c.objectsListed ? 'listed' : 'not listed'}`);
  if (c.ledgerCalls > 0 && c.ledgerCallsWithoutAsteriskRecord === c.ledgerCalls) io.out('WARNING: no ledger call has an Asterisk record: is CEL enabled (asterisk/cel.conf) and the AMI link up?');
  for (const f of r.findings) io.out(describe(f));
  const found = FINDING_KINDS.filter((k) => r.found[k] > 0).map((k) => `${k} ${r.found[k]}`);
  io.out(r.findings.length === 0 ? 'everything reconciles: no finding' : `${r.open} open finding(s) (${found.join(', ')}); ${r.resolved} resolved since the last run`);
}

export const assurance: Command = {
  name: 'assurance',
  summary:
    "reconcile Asterisk's call records, the ledger and the stored recordings over a window; exit 1 when a finding is open (the run goes to the ledger)\n" +
    'with --ack ID --reason text (DPO token): acknowledge an open finding; the ledger records who and why',
  usage: 'consentline assurance [--from day|ISO-8601] [--to day|ISO-8601] [--json] [--config file] [--db path|url]\n       consentline assurance --ack FINDING-ID --reason text [--token t] [--json] [--config file] [--db path|url]',
  async run(argv, io): Promise<ExitCode> {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: { ...TOOL_OPTIONS, from: { type: 'string' }, to: { type: 'string' }, ack: { type: 'string' }, reason: { type: 'string' }, token: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length) throw new UsageError(`unexpected argument ${positionals[0]}`);
    if (values.ack !== undefined) {
      if (values.from !== undefined || values.to !== undefined) throw new UsageError('--ack takes no window');
      return acknowledge(values.ack, values, io);
    }
    if (values.reason !== undefined || values.token !== undefined) throw new UsageError('--reason and --token go with --ack');
    const tool = await openTool(values, io);
    try {
      const to = values.to === undefined ? new Date(io.now() - tool.settleMinutes * 60_000).toISOString() : bound(values.to, 'to');
      const from = values.from === undefined ? new Date(Date.parse(to) - 86_400_000).toISOString() : bound(values.from, 'from');
      if (!(from < to)) throw new UsageError('--from must be before --to');
      if (Date.parse(to) - Date.parse(from) > MAX_WINDOW_DAYS * 86_400_000) throw new UsageError(`a window covers at most ${MAX_WINDOW_DAYS} days`);
      const progress = progressReporter(io, { label: 'assurance: sources read', total: 6, json: values.json === true });
      const report = await tool.service.run({ from, to }, 'cli', (_stage, done) => progress.update(done));
      progress.finish();
      if (values.json) io.out(JSON.stringify(report));
      else print(report, io);
      return report.open > 0 ? EXIT.failed : EXIT.ok;
    } finally {
      await tool.close();
    }
  },
};

async function acknowledge(id: string, values: { reason?: string | undefined; token?: string | undefined; json?: boolean | undefined; config?: string | undefined; db?: string | undefined }, io: CliIo): Promise<ExitCode> {
  if (!FINDING_ID_PATTERN.test(id)) throw new UsageError('a finding id looks like af-<24 hex digits>');
  const reason = values.reason?.trim() ?? '';
  if (reason === '' || reason.length > MAX_REASON_LENGTH) throw new UsageError(`--reason is required (1 to ${MAX_REASON_LENGTH} characters)`);
  const tool = await openTool(values, io);
  try {
    const by = await dpoFromToken(tool.db.tokens, values.token, io);
    if (!by) return EXIT.failed;
    const r = await tool.service.acknowledge(id, by, reason);
    if (r.status === 'not_found') {
      io.err(`no finding ${id}`);
      return EXIT.failed;
    }
    if (r.status === 'not_open') {
      io.err(`finding ${id} is ${r.finding.status}: nothing acknowledged`);
      return EXIT.failed;
    }
    io.out(values.json ? JSON.stringify(r.finding) : describe(r.finding));
    return EXIT.ok;
  } finally {
    await tool.close();
  }
}
