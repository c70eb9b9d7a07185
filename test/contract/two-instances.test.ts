import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openPgEvidenceStore } from '../../src/evidence/pg-store.js';
import { freshSchema, testDatabase } from './pg-helpers.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/pg-appender.ts', import.meta.url));
const dbUrl = testDatabase('cl_two');
const PER_INSTANCE = 400;

describe('two ConsentLine instances on one PostgreSQL ledger', () => {
  it('append concurrently, are killed mid-stream: one chain, no fork, no gap, every acknowledged event stored', async () => {
    const schema = freshSchema();
    // Both start on an empty database at once: the migrations race too.
    const children = ['a', 'b'].map((name) => {
      const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, dbUrl(), schema, name], { stdio: ['ignore', 'pipe', 'inherit'] });
      return { name, child, exited: once(child, 'exit'), acked: new Map<number, string>() };
    });
    const killWhenBothDone = () => {
      if (children.every((c) => c.acked.size >= PER_INSTANCE)) for (const c of children) c.child.kill('SIGKILL');
    };
    await Promise.all(
      children.map(async (c) => {
        for await (const line of createInterface({ input: c.child.stdout! })) {
          if (line === 'ready') continue;
          const [seq, hash] = line.split(' ');
          c.acked.set(Number(seq), hash!);
          killWhenBothDone();
        }
      }),
    );
    for (const c of children) expect((await c.exited)[1]).toBe('SIGKILL');

    // No seq was handed to both instances (that would be a fork).
    const [a, b] = children.map((c) => c.acked);
    for (const seq of a!.keys()) expect(b!.has(seq), `seq ${seq} acknowledged to both instances`).toBe(false);

    const store = await openPgEvidenceStore({ url: dbUrl(), schema, max: 2 });
    try {
      const stored = new Map<number, { hash: string; callId: string | null }>();
      for await (const e of store.events()) stored.set(e.seq, { hash: e.hash, callId: e.callId });
      for (const c of children) for (const [seq, hash] of c.acked) expect(stored.get(seq)?.hash, `seq ${seq} from ${c.name}`).toBe(hash);
      const head = await store.head();
      expect(stored.size).toBe(head!.seq);
      expect(await store.verify()).toEqual({ ok: true, checked: head!.seq, headHash: head!.hash });
      // The two instances' batches interleaved on the chain rather than one running after the other.
      const owners = [...stored.values()].map((e) => e.callId!.slice(0, 1));
      const switches = owners.filter((o, i) => i > 0 && o !== owners[i - 1]).length;
      expect(switches).toBeGreaterThan(4);
    } finally {
      await store.close();
    }
  }, 30_000);
});
