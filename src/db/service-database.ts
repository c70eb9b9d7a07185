import type { Config } from '../config/schema.js';
import { databaseTarget } from '../evidence/open-store.js';
import type { Clock } from '../shared/clock.js';
import { engineFor } from './engine.js';
import type { ServiceDatabase } from './engine-service.js';

export type { ServiceDatabase } from './engine-service.js';

/**
 * Every table the service uses, on the engine `database` names (see `Engine.openService` for
 * the connections each engine opens).
 */
export function openServiceDatabase(config: Readonly<Config>, opts: { readonly clock?: Clock } = {}): Promise<ServiceDatabase> {
  return engineFor(databaseTarget(config)).openService(opts);
}
