import type { TokenStore } from '../../src/api/tokens.js';
import type { MigrationReport } from '../../src/db/sqlite.js';
import type { GroupCommitStats } from '../../src/evidence/group-commit.js';
import type { EvidenceStore } from '../../src/evidence/store.js';
import type { Clock } from '../../src/shared/clock.js';

/** What the contract needs of a store beyond {@link EvidenceStore}: both engines have it. */
export interface ContractStore extends EvidenceStore {
  eraseSubject(commitment: string): Promise<boolean>;
  writeStats(): GroupCommitStats;
}

export interface OpenOptions {
  readonly maxBatch?: number;
  readonly clock?: Clock;
}

/**
 * Edits an attacker with write access to the database could make. Each engine does them
 * the way its own attacker would (dropping the append-only triggers first).
 */
export interface Tamper {
  setData(seq: number, dataJson: string): Promise<void>;
  setAt(seq: number, at: string): Promise<void>;
  setCallId(seq: number, callId: string): Promise<void>;
  delete(seq: number): Promise<void>;
  /** Swaps the positions of two events (their seq values). */
  swap(a: number, b: number): Promise<void>;
  /** Inserts a row at seq 0 (below the genesis event). */
  insertBelowOne(): Promise<void>;
  /** An UPDATE and a DELETE through the front door (triggers in place): the errors they raise. */
  casualEdits(): Promise<string[]>;
}

/** One ledger (one SQLite file, one PostgreSQL schema), removed after the test. */
export interface Ledger {
  /** A new store on this ledger: its own connection(s), like another instance. */
  open(opts?: OpenOptions): Promise<ContractStore>;
  /** A token store on this ledger's database, closed after the test. */
  tokens(): Promise<TokenStore>;
  /** The `data` column of one event, as stored. */
  storedData(seq: number): Promise<string>;
  /** Rows in the subjects table. */
  subjectRows(): Promise<number>;
  readonly tamper: Tamper;
}

/** A database the migration runner has not touched, with the migrations directory to use. */
export interface MigrationTarget {
  migrate(migrationsDir: string): Promise<MigrationReport>;
  /** Names of tables holding the given names, to check that a failed run left nothing. */
  tables(names: readonly string[]): Promise<string[]>;
  /** Runs one statement on the migrated database and returns its rows. */
  query(sql: string): Promise<Record<string, unknown>[]>;
}

/** An engine the contract runs against: SQLite (embedded) or PostgreSQL (shared). */
export interface Engine {
  readonly name: 'sqlite' | 'postgres';
  ledger(): Promise<Ledger>;
  migrationTarget(): Promise<MigrationTarget>;
  /** The engine's shipped migrations directory (copied before a test edits it). */
  readonly migrationsDir: string;
}
