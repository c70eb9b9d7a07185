import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createPgPool } from '../../db/pg.js';
import { openSqlite } from '../../db/sqlite.js';
import { databaseTarget, describeTarget } from '../../evidence/open-store.js';
import { PgRecordingRepo } from '../../recordings/pipeline/repo-pg.js';
import { RECORDING_STATES, RecordingRepo, type RecordingRepository, type RecordingState } from '../../recordings/pipeline/repo.js';
import { EXIT, positiveInt, UsageError, type CliIo, type Command, type ExitCode } from '../command.js';
import { dbTargetFromArgs } from '../open-store.js';
import { recordingToolConfig } from './recording-decrypt.js';
import type { Config } from '../../config/schema.js';

/** The recordings table read-only: `--db` (a SQLite file, `sqlite:PATH` or `postgres://…`), else the configured database. */
function openTable(values: { db?: string | undefined }, config: Config, io: CliIo): { repo: RecordingRepository; close(): Promise<void> } | null {
  const given = values.db === undefined ? null : dbTargetFromArgs(values, {});
  const target = given === null ? databaseTarget(config) : given.kind === 'sqlite' ? { ...given, path: resolve(given.path) } : given;
  if (target.kind === 'postgres') {
    const pool = createPgPool({ url: target.url, max: 1, applicationName: 'consentline-cli' });
    return { repo: new PgRecordingRepo(pool), close: () => pool.end() };
  }
  if (!existsSync(target.path)) {
    io.err(`no database at ${describeTarget(target)}`);
    return null;
  }
  const { db } = openSqlite({ path: target.path, mustExist: true });
  return { repo: new RecordingRepo(db), close: async () => void db.close() };
}

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
    if (!config) return EXIT.failed;
    const table = openTable(values, config, io);
    if (!table) return EXIT.failed;
    try {
      const { repo } = table;
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
