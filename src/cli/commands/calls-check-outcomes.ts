import { parseArgs } from 'node:util';
import { openReadSide } from '../../db/engine.js';
import { EXIT, positiveInt, UsageError, type Command, type ExitCode } from '../command.js';
import { DB_OPTION, dbTargetFromArgs } from '../open-store.js';

/** The longest call time limit a flow may have (1 h) plus a minute: calls younger than this may still be in progress. */
const DEFAULT_GRACE_SECONDS = 3660;
const DEFAULT_LIMIT = 1000;

export const callsCheckOutcomes: Command = {
  name: 'calls check-outcomes',
  summary: 'list calls with no outcome or more than one; exit 0 when every call has exactly one, 1 otherwise',
  usage: 'consentline calls check-outcomes [--db path|url] [--grace-seconds N] [--from ISO-8601] [--limit N] [--json]',
  async run(argv, io): Promise<ExitCode> {
    const { values } = parseArgs({
      args: [...argv],
      options: { ...DB_OPTION, 'grace-seconds': { type: 'string' }, from: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } },
      strict: true,
    });
    const grace = values['grace-seconds'] === '0' ? 0 : (positiveInt(values['grace-seconds'], '--grace-seconds') ?? DEFAULT_GRACE_SECONDS);
    const limit = positiveInt(values.limit, '--limit') ?? DEFAULT_LIMIT;
    if (values.from !== undefined && Number.isNaN(Date.parse(values.from))) throw new UsageError('--from must be an ISO-8601 date-time');
    const from = values.from === undefined ? undefined : new Date(values.from).toISOString();
    const settledBefore = new Date(io.now() - grace * 1000).toISOString();

    const side = await openReadSide(dbTargetFromArgs(values, io.env), { mustExist: true, poolSize: 2 });
    try {
      const check = await side.queries.outcomeCheck({ settledBefore, limit, ...(from === undefined ? {} : { from }) });
      if (values.json) {
        io.out(JSON.stringify({ ok: check.findings.length === 0, graceSeconds: grace, ...check }));
      } else if (check.findings.length === 0) {
        io.out(`every call has exactly one outcome (calls without one started after ${settledBefore} count as in progress)`);
      } else {
        for (const f of check.findings) {
          io.out(`${f.callId}  started ${f.startedAt}  server ${f.server ?? '-'}  ${f.outcomes === 0 ? 'no outcome' : `${f.outcomes} outcomes`}`);
        }
        io.out(`${check.findings.length}${check.truncated ? '+' : ''} call(s) without exactly one outcome`);
      }
      return check.findings.length === 0 ? EXIT.ok : EXIT.failed;
    } finally {
      await side.close();
    }
  },
};
