import { parseArgs } from 'node:util';
import { RECORDING_STATES, type RecordingState } from '../../recordings/pipeline/repo.js';
import { EXIT, positiveInt, UsageError, type Command, type ExitCode } from '../command.js';
import { recordingToolConfig } from '../tool-config.js';
import { configuredDbTarget } from '../open-store.js';
import { describeTarget, openRecordingDb } from './recording-db.js';

/** The recordings pipeline's rows: state, disposition, attempts and last error; ids and sizes only. */
export const recordingList: Command = {
  name: 'recording list',
  summary: 'list recordings and where each is in the pipeline (from --db, else the configured database, on either engine)',
  usage: `consentline recording list [--state ${RECORDING_STATES.join('|')}] [--limit N] [--config file] [--db path|url]`,
  async run(argv, io): Promise<ExitCode> {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: { state: { type: 'string' }, limit: { type: 'string' }, config: { type: 'string' }, db: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length) throw new UsageError('no positional arguments');
    if (values.state !== undefined && !(RECORDING_STATES as readonly string[]).includes(values.state)) {
      throw new UsageError(`--state must be one of ${RECORDING_STATES.join(', ')}`);
    }
    const limit = positiveInt(values.limit, '--limit') ?? 100;
    const config = recordingToolConfig(values, io);
    const target = configuredDbTarget(values, config);
    const table = openRecordingDb(target);
    if (!table) {
      io.err(`no database at ${describeTarget(target)}`);
      return EXIT.failed;
    }
    try {
      const repo = table.recordings;
      const rows = await repo.list({ ...(values.state ? { state: values.state as RecordingState } : {}), limit });
      io.out(
        [
          'recording'.padEnd(36),
          'state'.padEnd(9),
          'kept'.padEnd(24),
          'call'.padEnd(36),
          'started'.padEnd(24),
          'bytes'.padStart(10),
          'tries'.padStart(5),
          'last error',
        ].join('  '),
      );
      for (const r of rows) {
        const kept = r.disposition === 'quarantine' ? `quarantine:${r.quarantine_reason}` : (r.disposition ?? '-');
        io.out(
          [
            r.id.padEnd(36),
            r.state.padEnd(9),
            kept.padEnd(24),
            (r.call_id ?? '-').padEnd(36),
            r.started_at.padEnd(24),
            String(r.plaintext_bytes ?? '-').padStart(10),
            String(r.attempts).padStart(5),
            r.last_error ?? '-',
          ].join('  '),
        );
      }
      const { depth } = await repo.queueStats();
      io.out(`${rows.length} recording(s) shown; ${depth} waiting for a verified upload`);
      return EXIT.ok;
    } finally {
      await table.close();
    }
  },
};
