import type { TokenStore } from '../api/tokens.js';
import type { AssuranceRepo } from '../assurance/repo.js';
import type { AssuranceLedger } from '../evidence/assurance-ledger.js';
import type { AgentRepo } from '../joiners/repo.js';
import type { OpenedEvidenceStore, OpenEvidenceStoreOptions } from '../evidence/open-store.js';
import type { OpenReadSideOptions, ReadSide } from '../evidence/open-read-side.js';
import type { EvidenceStore } from '../evidence/store.js';
import type { RecordingRepository } from '../recordings/pipeline/repo.js';
import type { RetentionRepo } from '../retention/repo.js';
import type { Clock } from '../shared/clock.js';
import type { ServiceDatabase } from './engine-service.js';
import type { DatabaseTarget } from './pg-url.js';

/** What the retention, hold, subject and marketing commands read and write. */
export interface RetentionDatabase {
  readonly evidence: EvidenceStore;
  /** Authenticates the DPO token a command is run with. */
  readonly tokens: TokenStore;
  readonly repo: RetentionRepo;
  close(): Promise<void>;
}

/** What `consentline assurance` reads and writes: its tables, the ledger's answers, the store for `assurance.*` events, the tokens. */
export interface AssuranceDatabase {
  readonly repo: AssuranceRepo;
  readonly ledger: AssuranceLedger;
  readonly evidence: EvidenceStore;
  readonly tokens: TokenStore;
  close(): Promise<void>;
}

/** What `consentline agents` reads and writes: the registry, the store for `agent.*` events, the tokens. */
export interface AgentsDatabase {
  readonly repo: AgentRepo;
  readonly evidence: EvidenceStore;
  readonly tokens: TokenStore;
  close(): Promise<void>;
}

/** The recordings table and the API tokens of one database. */
export interface RecordingDb {
  readonly recordings: RecordingRepository;
  readonly tokens: TokenStore;
  close(): Promise<void>;
}

/**
 * One database engine with the stores built on it, like kysely's SqliteDialect/PostgresDialect:
 * `engineFor` (src/db/engine.ts) picks one, once; no other code asks which it is. Building one opens
 * nothing; each `open…` opens its own connection or pool, which the result's `close` ends.
 */
export interface Engine {
  readonly target: DatabaseTarget;
  /** The file path or the URL without its password, for logs. */
  readonly description: string;
  /**
   * The database file when the database is a local file (SQLite), whose directory holds the
   * install's keys and data in the service's layout; undefined for a database server.
   */
  readonly file: string | undefined;
  /** False when the target is a SQLite file that is not there (a typo must not create one). */
  exists(): boolean;
  /** Every table the service uses, with the connections the engine needs for them (see each engine). */
  openService(opts?: { readonly clock?: Clock }): Promise<ServiceDatabase>;
  /** The evidence store, migrated and ready (the service's writer). */
  openEvidenceStore(opts?: OpenEvidenceStoreOptions): Promise<OpenedEvidenceStore>;
  /** The evidence store for a CLI run; it must exist already. */
  openStore(): Promise<EvidenceStore>;
  openReadSide(opts?: OpenReadSideOptions): Promise<ReadSide>;
  openTokens(): Promise<{ readonly tokens: TokenStore; close(): Promise<void> }>;
  /** The store, the tokens and the retention repository on one small connection set (CLI). */
  openRetentionDatabase(): Promise<RetentionDatabase>;
  /** Null when the SQLite file is not there. */
  openRecordingDb(): RecordingDb | null;
  /** Assurance's tables, the ledger and the tokens on one small connection set (CLI); the database must exist. */
  openAssuranceDatabase(): Promise<AssuranceDatabase>;
  /** The agents registry, the ledger and the tokens (CLI); the database must exist. */
  openAgentsDatabase(): Promise<AgentsDatabase>;
}
