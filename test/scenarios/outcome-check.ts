import type { DatabaseTarget } from '../../src/db/pg-url.js';
import { openReadSide } from '../../src/db/engine.js';
import type { OutcomeFinding } from '../../src/evidence/outcomes.js';

/**
 * The one-outcome invariant as tests assert it: every call in the ledger at `target` has
 * exactly one outcome. Run it once the calls are over: none counts as still in progress.
 *
 * @example
 * expect(await outcomeFindings(databaseTarget(config))).toEqual([]);
 */
export async function outcomeFindings(target: DatabaseTarget): Promise<OutcomeFinding[]> {
  const side = await openReadSide(target, { poolSize: 2 });
  try {
    const everyCallSettled = new Date(Date.now() + 86_400_000).toISOString();
    return (await side.queries.outcomeCheck({ settledBefore: everyCallSettled, limit: 1000 })).findings;
  } finally {
    await side.close();
  }
}
