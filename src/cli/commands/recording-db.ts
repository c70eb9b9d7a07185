import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { PgTokenStore } from '../../api/tokens-pg.js';
import { SqliteTokenStore, type TokenStore } from '../../api/tokens.js';
import type { Config } from '../../config/schema.js';
import { createPgPool } from '../../db/pg.js';
import type { DatabaseTarget } from '../../db/pg-url.js';
import { openSqlite } from '../../db/sqlite.js';
import { databaseTarget, describeTarget } from '../../evidence/open-store.js';
import { openPgEvidenceStore } from '../../evidence/pg-store.js';
import { openSqliteEvidenceStore } from '../../evidence/sqlite-store.js';
import type { EvidenceStore } from '../../evidence/store.js';
import { PgRecordingRepo } from '../../recordings/pipeline/repo-pg.js';
import { RecordingRepo, type RecordingRepository } from '../../recordings/pipeline/repo.js';
import { dbTargetFromArgs } from '../open-store.js';

/** The database a recording command works on: `--db` (a SQLite file, `sqlite:PATH` or `postgres://…`), else the configured one. */
export function recordingDbTarget(values: { db?: string | undefined }, config: Config): DatabaseTarget {
  if (values.db === undefined) return databaseTarget(config);
  const given = dbTargetFromArgs(values, {});
  return given.kind === 'sqlite' ? { kind: 'sqlite', path: resolve(given.path) } : given;
}

/** The recordings table and the API tokens of one database, on either engine. */
export interface RecordingDb {
  readonly recordings: RecordingRepository;
  readonly tokens: TokenStore;
  close(): Promise<void>;
}

/** Opens `target`; null when it is a SQLite file that is not there (a typo must not create one). */
export function openRecordingDb(target: DatabaseTarget): RecordingDb | null {
  if (target.kind === 'postgres') {
    const pool = createPgPool({ url: target.url, max: 1, applicationName: 'consentline-cli' });
    return { recordings: new PgRecordingRepo(pool), tokens: new PgTokenStore(pool), close: () => pool.end() };
  }
  if (!existsSync(target.path)) return null;
  const { db } = openSqlite({ path: target.path, mustExist: true });
  return { recordings: new RecordingRepo(db), tokens: new SqliteTokenStore(db), close: async () => void db.close() };
}

/** The ledger of `target`, to write an access to (it must exist). */
export function openRecordingLedger(target: DatabaseTarget): Promise<EvidenceStore> {
  return target.kind === 'sqlite' ? openSqliteEvidenceStore({ path: target.path, mustExist: true }) : openPgEvidenceStore({ url: target.url, max: 2 });
}

export { describeTarget };
