import { engineFor, type RecordingDb } from '../../db/engine.js';
import type { DatabaseTarget } from '../../db/pg-url.js';
import { describeTarget } from '../../evidence/open-store.js';

export type { RecordingDb } from '../../db/engine.js';

/** Opens `target`; null when it is a SQLite file that is not there (a typo must not create one). */
export function openRecordingDb(target: DatabaseTarget): RecordingDb | null {
  return engineFor(target).openRecordingDb();
}

export { describeTarget };
