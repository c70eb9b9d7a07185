import type { TokenStore } from '../api/tokens.js';
import { AssuranceRepo } from '../assurance/repo.js';
import { pgExec } from '../assurance/sql-pg.js';
import { pgAssuranceLedger, type AssuranceLedger } from '../evidence/assurance-ledger.js';
import { sqliteAssurance } from './engine-sqlite.js';
import { SqliteTokenStore } from '../api/tokens.js';
import { PgTokenStore } from '../api/tokens-pg.js';
import type { Config } from '../config/schema.js';
import { databaseTarget, describeTarget } from '../evidence/open-store.js';
import type { ReadSide } from '../evidence/open-read-side.js';
import type { EvidenceStore } from '../evidence/store.js';
import { PgRecordingRepo } from '../recordings/pipeline/repo-pg.js';
import { RecordingRepo, type RecordingRepository } from '../recordings/pipeline/repo.js';
import { PgRetentionRepo } from '../retention/repo-pg.js';
import { SqliteRetentionRepo } from '../retention/repo-sqlite.js';
import type { RetentionRepo } from '../retention/repo.js';
import type { Clock } from '../shared/clock.js';
import { openEvidenceStore, openReadSide } from './engine.js';
import { openPg } from './pg.js';
import { openSqlite, type SqliteDatabase } from './sqlite.js';

/**
 * Every table the service uses, on the engine `database` names. SQLite: the store on its own
 * writer, and one connection each for the API (tokens, queries, checkpoints, recordings read),
 * the recordings pipeline and retention, as before. PostgreSQL: the store's pool (which the
 * tokens share), a read-side pool, and one pool for the recordings and retention work tables,
 * where claims and leases make sharing the work between instances safe.
 */
export interface ServiceDatabase {
  readonly kind: 'sqlite' | 'postgres';
  /** The file path or the URL without its password, for logs. */
  readonly description: string;
  readonly store: EvidenceStore;
  readonly tokens: TokenStore;
  readonly readSide: ReadSide;
  /** The recordings table as the pipeline uses it. */
  readonly recordings: RecordingRepository;
  /** The recordings table as the API reads it. */
  readonly recordingsRead: RecordingRepository;
  readonly retention: RetentionRepo;
  /** Recording assurance's tables and its questions to the ledger. */
  readonly assurance: { readonly repo: AssuranceRepo; readonly ledger: AssuranceLedger };
  /** Closes everything, the store last. */
  close(): Promise<void>;
}

export async function openServiceDatabase(config: Readonly<Config>, opts: { readonly clock?: Clock } = {}): Promise<ServiceDatabase> {
  const target = databaseTarget(config);
  const opened = await openEvidenceStore(config, opts.clock ? { clock: opts.clock } : {});
  const closers: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await opened.store.close();
  };
  try {
    if (opened.kind === 'sqlite') {
      const connection = (): SqliteDatabase => {
        const { db } = openSqlite({ path: opened.path });
        closers.push(async () => void db.close());
        return db;
      };
      const apiDb = connection();
      const readSide = await openReadSide(target);
      closers.push(() => readSide.close());
      return {
        kind: 'sqlite',
        description: describeTarget(target),
        store: opened.store,
        tokens: new SqliteTokenStore(apiDb),
        readSide,
        recordings: new RecordingRepo(connection()),
        recordingsRead: new RecordingRepo(apiDb),
        retention: new SqliteRetentionRepo(connection()),
        assurance: sqliteAssurance(connection()),
        close: closeAll,
      };
    }
    const readSide = await openReadSide(target);
    closers.push(() => readSide.close());
    const { pool } = await openPg({ url: opened.url, max: 4, applicationName: 'consentline-work' });
    closers.push(() => pool.end());
    const recordings = new PgRecordingRepo(pool);
    return {
      kind: 'postgres',
      description: describeTarget(target),
      store: opened.store,
      tokens: new PgTokenStore(opened.pool),
      readSide,
      recordings,
      recordingsRead: recordings,
      retention: new PgRetentionRepo(pool),
      assurance: { repo: new AssuranceRepo(pgExec(pool)), ledger: pgAssuranceLedger(pool) },
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
