import { databaseTarget, type OpenedEvidenceStore, type OpenEvidenceStoreOptions } from '../evidence/open-store.js';
import type { OpenReadSideOptions, ReadSide } from '../evidence/open-read-side.js';
import type { Engine } from './engine-port.js';
import { pgEngine } from './engine-pg.js';
import { sqliteEngine } from './engine-sqlite.js';
import type { DatabaseTarget } from './pg-url.js';

export type { AgentsDatabase, AssuranceDatabase, Engine, RecordingDb, RetentionDatabase } from './engine-port.js';

/**
 * The engine `target` names.
 *
 * @example
 * const side = await engineFor(databaseTarget(config)).openReadSide();
 */
export function engineFor(target: DatabaseTarget): Engine {
  return target.kind === 'sqlite' ? sqliteEngine(target.path) : pgEngine(target.url);
}

/**
 * Opens the evidence store the configuration names, migrated and ready; the caller owns
 * it and closes `store` (which, on PostgreSQL, also closes the pool the tokens use).
 *
 * @example
 * const opened = await openEvidenceStore(config, { clock });
 * await opened.store.append({ callId: 'c1', kind: 'call.started', data: {} });
 */
export function openEvidenceStore(config: Parameters<typeof databaseTarget>[0], opts: OpenEvidenceStoreOptions = {}): Promise<OpenedEvidenceStore> {
  return engineFor(databaseTarget(config)).openEvidenceStore(opts);
}

/**
 * Opens the read side on the database `target` names (see `databaseTarget`), on its own
 * connection or pool, migrating the schema first as the store does.
 *
 * @example
 * const side = await openReadSide(databaseTarget(config));
 * const checkpoints = readSideCheckpoints(side, { signer, clock });
 */
export function openReadSide(target: DatabaseTarget, opts: OpenReadSideOptions = {}): Promise<ReadSide> {
  return engineFor(target).openReadSide(opts);
}
