import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { roleAllows, SqliteTokenStore, type TokenStore } from '../../api/tokens.js';
import type { Config } from '../../config/schema.js';
import type { SqliteDatabase } from '../../db/sqlite.js';
import type { Accessor } from '../../evidence/access-log.js';
import { checkpointSigning, loadOrCreateSigner } from '../../evidence/checkpoint.js';
import type { EvidenceStore } from '../../evidence/store.js';
import { openRecordingEnvelope, openRecordingStore } from '../../recordings/pipeline/build.js';
import type { ObjectStore } from '../../recordings/storage/port.js';
import { createRetentionService } from '../../retention/build.js';
import type { RetentionService } from '../../retention/service.js';
import type { SweepReport } from '../../retention/sweep.js';
import { systemClock } from '../../shared/clock.js';
import { createLogger } from '../../shared/log.js';
import { ConfigError, EXIT, UsageError, type CliIo, type Command, type ExitCode } from '../command.js';
import { configuredDbTarget } from '../open-store.js';
import { progressReporter } from '../progress.js';
import { recordingToolConfig } from '../tool-config.js';
import { openRetentionDatabase } from './retention-db.js';

/** Options every retention, hold and subject command accepts. */
export const TOOL_OPTIONS = {
  config: { type: 'string' },
  db: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export interface RetentionTool {
  readonly config: Config;
  readonly service: RetentionService;
  readonly evidence: EvidenceStore;
  readonly tokens: TokenStore;
  readonly objectStore: ObjectStore;
  close(): Promise<void>;
}

/**
 * The retention service as the CLI runs it, on the service's own files: the database (the
 * SQLite file of --db or the configuration, or its PostgreSQL `database.url`), the pepper (never generated here), the checkpoint key (signs erasure certificates) and the
 * object store. Throws {@link ConfigError} (exit 78) when the configuration is not valid or the pepper is missing.
 */
export async function openRetentionTool(values: { config?: string | undefined; db?: string | undefined }, io: CliIo): Promise<RetentionTool> {
  const config = recordingToolConfig(values, io);
  const dataDir = resolve(config.service.dataDir);
  // --db (a file, sqlite:PATH or postgres://…) overrides the configured database; a missing one is exit 1, before the pepper.
  const database = await openRetentionDatabase(configuredDbTarget(values, config));
  let pepper: string;
  try {
    pepper = lookupPepper(config, dataDir);
  } catch (err) {
    await database.close();
    throw err;
  }
  const { keyPath, origin } = checkpointSigning(config);
  const { signer } = loadOrCreateSigner(keyPath, origin);
  const { store: objectStore } = openRecordingStore(config.recordings, dataDir);
  const envelope = await openRecordingEnvelope(config.recordings, dataDir, { generate: false }).catch(() => null);
  const log = createLogger({ level: 'warn' }, new Writable({ write: (chunk, _e, done) => (io.err(String(chunk).trimEnd()), done()) }));
  const { evidence, tokens, repo } = database;
  const service = createRetentionService(config, { repo, evidence, objectStore, signer, pepper, clock: systemClock, log, envelope });
  return {
    config,
    service,
    evidence,
    tokens,
    objectStore,
    async close() {
      await database.close();
      await objectStore.close();
    },
  };
}

export function lookupPepper(config: Config, dataDir: string): string {
  if (config.evidence.pepper) return config.evidence.pepper;
  const file = join(dataDir, 'secrets', 'pepper');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    throw new ConfigError(`no look-up pepper: set CONSENTLINE_PEPPER or run where ${file} exists`);
  }
}

/**
 * The DPO behind a CLI action: a `dpo` (or `admin`) API token from --token or
 * $CONSENTLINE_TOKEN, checked against the token store (or the tokens of a SQLite file).
 */
export async function dpoFromToken(tokens: TokenStore | SqliteDatabase, token: string | undefined, io: CliIo): Promise<Accessor | null> {
  const t = token ?? io.env.CONSENTLINE_TOKEN;
  if (!t) throw new UsageError('a DPO token is needed: --token or CONSENTLINE_TOKEN (create one with `consentline token create --role dpo --name NAME --subject PERSON`)');
  const store = 'authenticate' in tokens ? tokens : new SqliteTokenStore(tokens);
  const info = await store.authenticate(t);
  if (!info) {
    io.err('the token is unknown or revoked');
    return null;
  }
  if (!roleAllows(info.role, 'dpo')) {
    io.err(`the token's role (${info.role}) may not do that: dpo needed`);
    return null;
  }
  return { tokenId: info.id, tokenName: info.name, role: info.role, subject: info.subject };
}

export function printSweep(r: SweepReport, io: CliIo, json: boolean): void {
  if (json) {
    io.out(JSON.stringify(r));
    return;
  }
  if (r.status === 'busy') {
    io.out(`another retention run holds the lease (${r.holder ?? '?'}) until ${r.until ?? '?'}: nothing done`);
    return;
  }
  const x = r.recordings;
  io.out(`${r.dryRun ? 'DRY RUN: would delete' : 'deleted'} ${x.deleted} recording(s) of ${x.due} due${x.resumed ? ` (${x.resumed} resumed from an interrupted run)` : ''}${x.alreadyAbsent ? `, ${x.alreadyAbsent} already absent` : ''}`);
  if (x.held) io.out(`held (legal hold): ${x.held}`);
  for (const l of x.lockedItems) io.out(`locked: ${l.recordingId} until ${l.retainUntil ?? '?'} (${l.detail})`);
  if (x.locked > x.lockedItems.length) io.out(`locked: ${x.locked - x.lockedItems.length} more`);
  for (const f of x.failedItems) io.out(`FAILED: ${f.recordingId} after ${f.attempts} attempt(s): ${f.detail}`);
  if (x.busy) io.out(`being worked on by the recordings pipeline: ${x.busy} (next run)`);
  io.out(`caller data behind evidence: ${r.dryRun ? 'would erase' : 'erased'} ${r.evidence.erased} call(s) of ${r.evidence.due} due; held ${r.evidence.held}; kept as proof of a marketing consent or withdrawal ${r.evidence.consentKept}`);
  if (r.status === 'lease_lost') io.out('STOPPED: the lease was lost to another instance; the rest is left to the next run');
}

export const retentionRun: Command = {
  name: 'retention run',
  summary: 'run the retention sweep now: delete recordings past their policy, erase caller data past evidence retention (--dry-run: report only)',
  usage: 'consentline retention run [--dry-run] [--json] [--config file] [--db path|url]',
  async run(argv, io): Promise<ExitCode> {
    const { values, positionals } = parseArgs({ args: [...argv], options: { ...TOOL_OPTIONS, 'dry-run': { type: 'boolean' } }, allowPositionals: true, strict: true });
    if (positionals.length) throw new UsageError('unexpected argument(s)');
    const tool = await openRetentionTool(values, io);
    try {
      const progress = { recordings: progressReporter(io, { label: 'retention: recordings', json: values.json === true }), evidence: progressReporter(io, { label: 'retention: calls', json: values.json === true }) };
      const r = await tool.service.sweep({
        dryRun: values['dry-run'] === true,
        onProgress: ({ phase, done }) => {
          if (phase === 'evidence') progress.recordings.finish();
          progress[phase].update(done);
        },
      });
      progress.recordings.finish();
      progress.evidence.finish();
      printSweep(r, io, values.json === true);
      if (r.status === 'busy') return EXIT.failed;
      return r.status === 'done' && r.recordings.failed === 0 ? EXIT.ok : EXIT.failed;
    } finally {
      await tool.close();
    }
  },
};
