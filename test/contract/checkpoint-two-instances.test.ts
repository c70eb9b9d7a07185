import pg from 'pg';
import { describe, expect, it, onTestFinished } from 'vitest';
import { PgCheckpointRepo } from '../../src/evidence/checkpoint-pg.js';
import type { CreateCheckpointResult } from '../../src/evidence/checkpoint.js';
import { MemoryTree, eventLeafHash, treeRoot, verifyConsistency } from '../../src/evidence/merkle.js';
import { openReadSide } from '../../src/db/engine.js';
import { readSideCheckpoints } from '../../src/evidence/open-read-side.js';
import { openPgEvidenceStore, type PgEvidenceStore } from '../../src/evidence/pg-store.js';
import type { StoredEvent } from '../../src/evidence/types.js';
import { freshSchema, testDatabase } from './pg-helpers.js';
import { testSigner } from './read-side.contract.js';

const dbUrl = testDatabase('cl_ckpt');

/** One ConsentLine instance's checkpoint side: its own pool and its own signing key. */
async function instance(schema: string, name: string) {
  const side = await openReadSide({ kind: 'postgres', url: dbUrl() }, { schema, poolSize: 3 });
  onTestFinished(() => side.close());
  return { side, service: readSideCheckpoints(side, { signer: testSigner(`consentline/${name}`) }) };
}

async function writer(schema: string): Promise<PgEvidenceStore> {
  const store = await openPgEvidenceStore({ url: dbUrl(), schema, max: 2 });
  onTestFinished(() => store.close());
  return store;
}

async function rows<T extends pg.QueryResultRow>(schema: string, sql: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: dbUrl(), options: `-c search_path=${schema}` });
  await c.connect();
  try {
    return (await c.query<T>(sql)).rows;
  } finally {
    await c.end();
  }
}

describe('two instances signing checkpoints on one PostgreSQL ledger', () => {
  it("the periodic signing skips a round when the other instance signed within it", async () => {
    const schema = freshSchema();
    const store = await writer(schema);
    const [a, b] = [await instance(schema, 'a'), await instance(schema, 'b')];
    const append = (n: number) => Promise.all(Array.from({ length: n }, (_, i) => store.append({ callId: `c${i}`, kind: 'dtmf.received', data: { i } })));
    await append(10);
    const first = await a.service.create({ unlessSignedWithinMs: 60_000 });
    expect(first).toMatchObject({ ok: true, created: true, checkpoint: { treeSize: 10 } });
    await append(5);
    // b's timer, within the interval: a's checkpoint stands, though the ledger grew.
    const skipped = await b.service.create({ unlessSignedWithinMs: 60_000 });
    expect(skipped).toMatchObject({ ok: true, created: false, checkpoint: { treeSize: 10, origin: 'consentline/a' } });
    // An interval later (here: a short one that has passed), b signs the new head.
    await new Promise((r) => setTimeout(r, 60));
    expect(await b.service.create({ unlessSignedWithinMs: 50 })).toMatchObject({ ok: true, created: true, checkpoint: { treeSize: 15, origin: 'consentline/b' } });
    // An explicit request (the API's POST) is never skipped.
    await append(1);
    expect(await a.service.create()).toMatchObject({ ok: true, created: true, checkpoint: { treeSize: 16 } });
  });

  it('sign at the same moment, with and without appends in flight: one checkpoint per tree size, each root right, the cache whole', async () => {
    const schema = freshSchema();
    const store = await writer(schema);
    const [a, b] = [await instance(schema, 'a'), await instance(schema, 'b')];
    const events: StoredEvent[] = [];
    const append = async (n: number) => {
      const batch = Array.from({ length: n }, (_, i) => store.append({ callId: `c${i % 9}`, kind: 'dtmf.received', data: { i } }));
      events.push(...(await Promise.all(batch)));
    };
    const results: CreateCheckpointResult[] = [];
    for (let round = 0; round < 16; round++) {
      await append(90 + ((round * 53) % 170));
      if (round % 2 === 0) {
        // Quiet: both see the same head; one signs, the other finds its checkpoint.
        const pair = await Promise.all([a.service.create(), b.service.create()]);
        results.push(...pair);
        const [x, y] = pair;
        if (!x.ok || !y.ok) throw new Error(`round ${round}: a checkpoint was refused`);
        expect([x.created, y.created].sort(), `round ${round}`).toEqual([false, true]);
        expect(x.checkpoint).toEqual(y.checkpoint);
        expect(x.checkpoint.treeSize).toBe(events.length);
      } else {
        // Busy: the ledger grows while they sign, so each may sign its own size.
        const [x, y] = await Promise.all([a.service.create(), b.service.create(), append(120)]);
        results.push(x, y);
      }
    }

    const created = results.flatMap((r) => (r.ok && r.created ? [r.checkpoint] : []));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(new Set(created.map((c) => c.treeSize)).size).toBe(created.length);
    const stored = await rows<{ id: string; tree_size: string; root_hash: string; origin: string }>(schema, 'SELECT id, tree_size, root_hash, origin FROM checkpoints ORDER BY id');
    expect(stored).toHaveLength(created.length);
    expect(new Set(stored.map((r) => r.origin))).toEqual(new Set(['consentline/a', 'consentline/b']));
    // Signed one after another: each later checkpoint covers more of the ledger.
    const sizes = stored.map((r) => Number(r.tree_size));
    expect(sizes).toEqual([...sizes].sort((p, q) => p - q));

    const mem = new MemoryTree(events.sort((p, q) => p.seq - q.seq).map((e) => eventLeafHash(e.hash)));
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    for (const r of stored) expect(r.root_hash, `root at ${r.tree_size}`).toBe((await treeRoot(mem, Number(r.tree_size))).toString('hex'));
    for (let i = 1; i < stored.length; i++) {
      const [m, n] = [sizes[i - 1]!, sizes[i]!];
      const proof = (await a.service.consistency(m, n)).map((h) => Buffer.from(h, 'base64'));
      expect(verifyConsistency(m, n, Buffer.from(stored[i - 1]!.root_hash, 'hex'), Buffer.from(stored[i]!.root_hash, 'hex'), proof)).toBe(true);
    }
    // The subtree cache both extended: every complete aligned subtree once, each hash right.
    const nodes = await rows<{ level: number; idx: string; hash: string }>(schema, "SELECT level, idx, encode(hash, 'hex') AS hash FROM merkle_nodes ORDER BY level, idx");
    const cachedUpTo = Math.floor(sizes[sizes.length - 1]! / 256) * 256;
    const want: string[] = [];
    for (let level = 8; 2 ** level <= cachedUpTo; level++) {
      for (let idx = 0; (idx + 1) * 2 ** level <= cachedUpTo; idx++) want.push(`${level}/${idx}/${(await mem.subtree(idx * 2 ** level, (idx + 1) * 2 ** level)).toString('hex')}`);
    }
    expect(nodes.map((n) => `${n.level}/${n.idx}/${n.hash}`)).toEqual(want);
    expect(cachedUpTo).toBeGreaterThan(2_000);
  }, 60_000);

  it('a writer that skips the lock meets the unique tree size: the stored checkpoint is kept and returned', async () => {
    const schema = freshSchema();
    await writer(schema);
    const repos = [(await instance(schema, 'a')).side.checkpointRepo, (await instance(schema, 'b')).side.checkpointRepo];
    const cp = (origin: string) => ({ treeSize: 10, rootHash: origin.padEnd(64, '0'), origin, keyId: '00000000', note: `${origin}\n10\n`, createdAt: '2026-03-01T00:00:00.000Z' });
    const [x, y] = await Promise.all([repos[0]!.insert(cp('a')), repos[1]!.insert(cp('b'))]);
    expect(x).toEqual(y);
    expect(await rows(schema, 'SELECT tree_size FROM checkpoints')).toHaveLength(1);
  });
});
