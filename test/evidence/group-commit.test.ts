import { describe, expect, it } from 'vitest';
import { GroupCommitter } from '../../src/evidence/group-commit.js';
import { openTestStore } from './helpers.js';

describe('group commit', () => {
  it('500 concurrent appends form one gapless chain in the order acknowledged', async () => {
    const store = await openTestStore();
    const acked: number[] = [];
    await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        store.append({ callId: `call-${i}`, kind: 'call.started', data: { i } }).then((e) => {
          acked.push(e.seq);
          return e;
        }),
      ),
    );
    expect(acked).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    expect(await store.verify()).toMatchObject({ ok: true, checked: 500 });
    const stats = store.writeStats();
    expect(stats.items).toBe(500);
    expect(stats.batches).toBeLessThan(10);
  });

  it('concurrent writers each awaiting their own appends share batches', async () => {
    const store = await openTestStore();
    const writer = async (w: number) => {
      for (let i = 0; i < 20; i++) await store.append({ callId: `w${w}`, kind: 'dtmf.received', data: { i } });
    };
    await Promise.all(Array.from({ length: 25 }, (_, w) => writer(w)));
    expect(await store.verify()).toMatchObject({ ok: true, checked: 500 });
    expect(store.writeStats().largestBatch).toBe(25);
    const perCall = await store.callEvents('w3');
    expect(perCall.map((e) => e.data.i)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('caps a batch at maxBatch and keeps submission order across batches', async () => {
    const batches: number[][] = [];
    const gc = new GroupCommitter<number, number>(
      (items) => {
        batches.push([...items]);
        return items.map((x) => x * 10);
      },
      { maxBatch: 4 },
    );
    const out = await Promise.all(Array.from({ length: 10 }, (_, i) => gc.submit(i)));
    expect(out).toEqual(Array.from({ length: 10 }, (_, i) => i * 10));
    expect(batches).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
  });

  it('one batch in flight at a time with an async writer; a failure rejects only its batch', async () => {
    let inFlight = 0;
    let calls = 0;
    const gc = new GroupCommitter<string, string>(
      async (items) => {
        inFlight += 1;
        expect(inFlight).toBe(1);
        await new Promise((r) => setTimeout(r, 5));
        inFlight -= 1;
        if (++calls === 1) throw new Error('disk full');
        return items.map((s) => s.toUpperCase());
      },
      { maxBatch: 100 },
    );
    const first = ['a', 'b'].map((s) => gc.submit(s).catch((e: Error) => e.message));
    await new Promise((r) => setImmediate(r));
    const second = ['c', 'd'].map((s) => gc.submit(s));
    expect(await Promise.all(first)).toEqual(['disk full', 'disk full']);
    expect(await Promise.all(second)).toEqual(['C', 'D']);
    await gc.drain();
    expect(gc.stats()).toEqual({ batches: 1, items: 2, largestBatch: 2, failedBatches: 1 });
  });

  it('with maxInFlight 2 hands the next batch over before the first is written, and settles them in order', async () => {
    const handed: string[][] = [];
    const finish: (() => void)[] = [];
    const gc = new GroupCommitter<string, string>(
      (items) => {
        handed.push([...items]);
        return new Promise((resolve) => finish.push(() => resolve(items.map((s) => s.toUpperCase()))));
      },
      { maxBatch: 100, maxInFlight: 2 },
    );
    const settled: string[] = [];
    const track = (p: Promise<string>) => p.then((v) => void settled.push(v));
    const first = ['a', 'b'].map((s) => track(gc.submit(s)));
    await new Promise((r) => setImmediate(r));
    const second = ['c'].map((s) => track(gc.submit(s)));
    await new Promise((r) => setImmediate(r));
    const third = ['d'].map((s) => track(gc.submit(s)));
    await new Promise((r) => setImmediate(r));
    // Two batches at the writer, the third waits for room.
    expect(handed).toEqual([['a', 'b'], ['c']]);
    finish[1]!(); // the writer answers the second first: nothing may settle before the first
    await new Promise((r) => setImmediate(r));
    expect(settled).toEqual([]);
    expect(handed).toEqual([['a', 'b'], ['c']]);
    finish[0]!();
    await Promise.all([...first, ...second]);
    expect(settled).toEqual(['A', 'B', 'C']);
    await new Promise((r) => setImmediate(r));
    expect(handed).toEqual([['a', 'b'], ['c'], ['d']]);
    finish[2]!();
    await Promise.all(third);
    await gc.drain();
    expect(gc.stats()).toEqual({ batches: 3, items: 4, largestBatch: 2, failedBatches: 0 });
  });

  it('with maxInFlight 2 a failed batch rejects only its own items; the one behind it still commits', async () => {
    const gc = new GroupCommitter<string, string>(
      async (items) => {
        await new Promise((r) => setTimeout(r, 5));
        if (items.includes('bad')) throw new Error('disk full');
        return items.map((s) => s.toUpperCase());
      },
      { maxBatch: 100, maxInFlight: 2 },
    );
    const first = ['bad', 'x'].map((s) => gc.submit(s).catch((e: Error) => e.message));
    await new Promise((r) => setImmediate(r));
    const second = gc.submit('y');
    expect(await Promise.all(first)).toEqual(['disk full', 'disk full']);
    expect(await second).toBe('Y');
    await gc.drain();
    expect(gc.stats()).toMatchObject({ batches: 1, failedBatches: 1 });
  });
});
