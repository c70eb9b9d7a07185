import { existsSync } from 'node:fs';
import { PgTokenStore } from '../../api/tokens-pg.js';
import { SqliteTokenStore, type TokenStore } from '../../api/tokens.js';
import { createPgPool } from '../../db/pg.js';
import type { DatabaseTarget } from '../../db/pg-url.js';
import { openSqlite } from '../../db/sqlite.js';
import { describeTarget } from '../../evidence/open-store.js';
import { PgRecordingRepo } from '../../recordings/pipeline/repo-pg.js';
import { RecordingRepo, type RecordingRepository } from '../../recordings/pipeline/repo.js';

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

export { describeTarget };
