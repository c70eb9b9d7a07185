import { describe, expect, it } from 'vitest';
import { keptReasons } from '../../../src/console/pages/retention-view.js';
import type { SweepView } from '../../../src/console/views-dpo.js';

const sweep = (r: Partial<SweepView['recordings']>, e: Partial<SweepView['evidence']> = {}): SweepView => ({
  status: 'done',
  runId: 'run-1',
  dryRun: false,
  startedAt: '2026-03-01T03:00:00.000Z',
  finishedAt: '2026-03-01T03:00:05.000Z',
  recordings: { due: 0, deleted: 0, alreadyAbsent: 0, resumed: 0, busy: 0, held: 0, locked: 0, failed: 0, deletedIds: [], heldItems: [], lockedItems: [], failedItems: [], ...r },
  evidence: { due: 0, erased: 0, held: 0, heldCallIds: [], consentKept: 0, consentKeptCallIds: [], ...e },
});

describe('keptReasons', () => {
  it('names each reason something was kept, with its count, and only those that occurred', () => {
    expect(keptReasons(sweep({ deleted: 4 }))).toEqual([]);
    expect(keptReasons(sweep({ held: 2, locked: 1, busy: 3 }, { consentKept: 5 }))).toEqual([
      { key: 'retention.why.held', n: 2 },
      { key: 'retention.why.locked', n: 1 },
      { key: 'retention.why.busy', n: 3 },
      { key: 'retention.why.consent', n: 5 },
    ]);
    expect(keptReasons(sweep({ failed: 1 }, { held: 2 }))).toEqual([
      { key: 'retention.why.failed', n: 1 },
      { key: 'retention.why.evHeld', n: 2 },
    ]);
  });
});
