import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openTestStore, tempDbPath } from './helpers.js';

describe('WAL checkpointer thread', () => {
  it('copies committed appends into the database file while the store stays open', async () => {
    const path = tempDbPath();
    const store = await openTestStore(path);
    const before = statSync(path).size;
    await Promise.all(Array.from({ length: 2000 }, (_, i) => store.append({ callId: `c${i % 50}`, kind: 'dtmf.received', data: { digit: '1', i } })));
    // The writer's own connection never checkpoints; only the checkpointer can grow the file.
    const deadline = Date.now() + 10_000;
    while (statSync(path).size <= before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(statSync(path).size).toBeGreaterThan(before + 100_000);
    expect(await store.verify()).toMatchObject({ ok: true, checked: 2000 });
  });
});
