// HoldMirror's report when passes overlap: a hold change starts a pass in the background, and the
// caller that asks right after (the CLI, a test, a sweep) must hear what that pass did too.
import { describe, expect, it } from 'vitest';
import { HoldMirror } from '../../src/retention/hold-mirror.js';
import type { HoldMirrorItem } from '../../src/retention/repo.js';
import { quietLog } from './helpers.js';

/** Recordings whose stored legal hold should be `held`; `mirrored` is what the store has. */
function world(items: { id: string; held: 0 | 1 }[]) {
  const mirrored = new Map<string, 0 | 1 | null>(items.map((i) => [i.id, null]));
  const want = new Map(items.map((i) => [i.id, i.held]));
  const gates: (() => void)[] = [];
  let gated = false;
  const failing = new Map<string, string>();
  const repo = {
    async holdMirrorDue(after: string, limit: number): Promise<HoldMirrorItem[]> {
      return [...want]
        .filter(([id, held]) => id > after && mirrored.get(id) !== held)
        .slice(0, limit)
        .map(([id, held]) => ({ id, object_key: `rec/${id}`, version_id: null, held }));
    },
    async holdMirrored(id: string, on: boolean): Promise<void> {
      mirrored.set(id, on ? 1 : 0);
    },
  };
  const store = {
    async setLegalHold(t: { key: string; versionId: string | null }, _on: boolean): Promise<'set' | 'absent'> {
      if (gated) await new Promise<void>((r) => gates.push(r));
      const why = failing.get(t.key.slice('rec/'.length));
      if (why) throw new Error(why);
      return 'set';
    },
  };
  return {
    mirror: new HoldMirror({ repo, store, log: quietLog(), batchSize: 2 }),
    want,
    mirrored,
    gate: (on: boolean) => void (gated = on),
    openGates: () => gates.splice(0).forEach((r) => r()),
    waiting: () => gates.length,
    /** The store refuses this recording's object (`null`: no longer). */
    failFor: (id: string, why: string | null) => void (why ? failing.set(id, why) : failing.delete(id)),
  };
}

const tick = () => new Promise((r) => setImmediate(r));
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !cond(); i++) await tick();
  if (!cond()) throw new Error('condition not reached');
}

describe('HoldMirror', () => {
  it('pages through what differs and reports sets and clears', async () => {
    const w = world([{ id: 'a', held: 1 }, { id: 'b', held: 1 }, { id: 'c', held: 0 }]);
    expect(await w.mirror.run()).toEqual({ set: 2, cleared: 1, absent: 0, failed: null });
    expect([...w.mirrored.values()]).toEqual([1, 1, 0]);
    expect(await w.mirror.run()).toEqual({ set: 0, cleared: 0, absent: 0, failed: null });
  });

  it('a call during a running pass reports that pass’s work plus its own', async () => {
    const w = world([{ id: 'a', held: 1 }]);
    w.gate(true);
    const background = w.mirror.run(); // what setHold starts
    await until(() => w.waiting() === 1);
    const asked = w.mirror.run(); // what the CLI awaits right after
    w.want.set('b', 1); // a second hold lands while the first pass runs
    w.mirrored.set('b', null);
    w.gate(false);
    w.openGates();
    expect(await background).toEqual({ set: 1, cleared: 0, absent: 0, failed: null });
    expect(await asked).toEqual({ set: 2, cleared: 0, absent: 0, failed: null });
  });

  it('the later pass decides whether the combined report failed', async () => {
    const w = world([{ id: 'a', held: 1 }]);
    w.gate(true);
    w.failFor('a', 'UNAVAILABLE: connection refused');
    const background = w.mirror.run();
    await until(() => w.waiting() === 1);
    const asked = w.mirror.run();
    w.openGates();
    expect(await background).toEqual({ set: 0, cleared: 0, absent: 0, failed: 'UNAVAILABLE: connection refused' });
    await until(() => w.waiting() === 1); // the asked-for pass has started
    w.failFor('a', null);
    w.openGates();
    expect(await asked).toEqual({ set: 1, cleared: 0, absent: 0, failed: null });

    // The other way round: the earlier pass copied, the later one could not.
    w.want.set('b', 1);
    w.mirrored.set('b', null);
    const first = w.mirror.run();
    await until(() => w.waiting() === 1);
    const second = w.mirror.run();
    w.want.set('c', 1); // due after the first pass read its page
    w.mirrored.set('c', null);
    w.failFor('c', 'UNAVAILABLE: connection refused');
    w.openGates();
    expect(await first).toEqual({ set: 1, cleared: 0, absent: 0, failed: null });
    await until(() => w.waiting() === 1);
    w.openGates();
    expect(await second).toEqual({ set: 1, cleared: 0, absent: 0, failed: 'UNAVAILABLE: connection refused' });
  });
});
