import { engineFor, type RetentionDatabase } from '../../db/engine.js';
import type { DatabaseTarget } from '../../db/pg-url.js';

export type { RetentionDatabase } from '../../db/engine.js';

/**
 * Opens the service's evidence database for a CLI run: an existing SQLite file, or the
 * PostgreSQL database (one small pool for the store, the tokens and the repository).
 */
export function openRetentionDatabase(target: DatabaseTarget): Promise<RetentionDatabase> {
  return engineFor(target).openRetentionDatabase();
}
