import { PgTokenStore } from '../../api/tokens-pg.js';
import { SqliteTokenStore, type TokenStore } from '../../api/tokens.js';
import { openPg } from '../../db/pg.js';
import type { DatabaseTarget } from '../../db/pg-url.js';
import { openSqlite } from '../../db/sqlite.js';
import { PgEvidenceStore } from '../../evidence/pg-store.js';
import { openSqliteEvidenceStore } from '../../evidence/sqlite-store.js';
import type { EvidenceStore } from '../../evidence/store.js';
import type { RetentionRepo } from '../../retention/repo.js';
import { PgRetentionRepo } from '../../retention/repo-pg.js';
import { SqliteRetentionRepo } from '../../retention/repo-sqlite.js';

/** What the retention, hold and subject commands read and write, on either engine. */
export interface RetentionDatabase {
  readonly evidence: EvidenceStore;
  /** Authenticates the DPO token a command is run with. */
  readonly tokens: TokenStore;
  readonly repo: RetentionRepo;
  close(): Promise<void>;
}

/**
 * Opens the service's evidence database for a CLI run: an existing SQLite file, or the
 * PostgreSQL database (one small pool for the store, the tokens and the repository).
 */
export async function openRetentionDatabase(target: DatabaseTarget): Promise<RetentionDatabase> {
  if (target.kind === 'sqlite') {
    const evidence = await openSqliteEvidenceStore({ path: target.path, mustExist: true });
    const { db } = openSqlite({ path: target.path });
    return {
      evidence,
      tokens: new SqliteTokenStore(db),
      repo: new SqliteRetentionRepo(db),
      async close() {
        await evidence.close();
        db.close();
      },
    };
  }
  const { pool } = await openPg({ url: target.url, max: 3, applicationName: 'consentline-cli' });
  try {
    const evidence = await PgEvidenceStore.create(pool, { ownsPool: true });
    return { evidence, tokens: new PgTokenStore(pool), repo: new PgRetentionRepo(pool), close: () => evidence.close() };
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
}
