import { join } from 'node:path';
import { afterEach, describe, it } from 'vitest';
import { SqliteTokenStore } from '../../../src/api/tokens.js';
import { writeCliConfig } from '../../retention/cli-config.js';
import { holdSweepEraseScenario, RETENTION_EVENT_KINDS } from '../retention-scenario.js';
import { recordingState, retentionWorld, type RetentionWorld } from '../../retention/helpers.js';

let w: RetentionWorld | null = null;
afterEach(async () => {
  await w?.close();
  w = null;
});

describe('CLI: retention run, hold, subject', () => {
  it('runs a sweep (dry run first), honours a hold set and released with two tokens, erases and exports a caller', async () => {
    const world = (w = await retentionWorld());
    await holdSweepEraseScenario({
      dir: world.dir,
      configFile: writeCliConfig(world.dir, {
        dbPath: world.path,
        store: `{ type: local, dir: ${JSON.stringify(join(world.dir, 'store'))} }`,
        retention: '{ default: { recordingsDays: 5, evidenceDays: 3650 } }',
      }),
      tokens: new SqliteTokenStore(world.db),
      async callWithRecording(startedAt, number) {
        const { callId, recordingId } = await world.addCall({ startedAt, number });
        return { callId, recordingId: recordingId! };
      },
      recordingState: async (id) => recordingState(world.db, id),
      async retentionEventKinds() {
        const marks = RETENTION_EVENT_KINDS.map(() => '?').join(', ');
        return (world.db.prepare(`SELECT kind FROM events WHERE kind IN (${marks}) ORDER BY seq`).pluck().all(...RETENTION_EVENT_KINDS) as string[]);
      },
      verify: async () => (await world.evidence.verify()).ok,
    });
  });
});
