// Two ConsentLine instances on one PostgreSQL database sweep the same due recordings in one RGW
// bucket: each with its own pool, evidence store, retention repository and S3 client, built the
// way the composition root builds them (createRetentionService with a PgRetentionRepo). Each
// object must be asked to be deleted once, each recording gets one `recording.deleted` event,
// and the one chain both wrote verifies.
import { mkdtempSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { ConfigSchema } from '../../../src/config/schema.js';
import { createPgPool, type PgPool } from '../../../src/db/pg.js';
import { loadOrCreateSigner } from '../../../src/evidence/checkpoint.js';
import { openPgEvidenceStore, type PgEvidenceStore } from '../../../src/evidence/pg-store.js';
import type { DeleteResult, DeleteTarget } from '../../../src/recordings/storage/port.js';
import { S3ObjectStore } from '../../../src/recordings/storage/index.js';
import { createRetentionService } from '../../../src/retention/build.js';
import { PgRetentionRepo } from '../../../src/retention/repo-pg.js';
import type { RetentionServiceDeps } from '../../../src/retention/service.js';
import type { SweepReport } from '../../../src/retention/sweep.js';
import { freshSchema, testDatabase } from '../../contract/pg-helpers.js';
import { quietLog } from '../../retention/helpers.js';
import { makeBucket, rgw, s3Client, storeConfig } from './rgw.js';

const dbUrl = testDatabase('cl_ret2');
const CAPTURED = '2020-01-10T08:00:00.000Z';
const dir = mkdtempSync(join(tmpdir(), 'cl-ret2-'));
const { signer } = loadOrCreateSigner(join(dir, 'cp.pem'), 'consentline/test');
let c: S3Client;
beforeAll(() => {
  c = s3Client();
});
afterAll(() => {
  c?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * The real S3 store, counting the keys each delete call names (both instances share the
 * tally); `stall` runs inside a delete call, before the request goes out.
 */
class CountingS3Store extends S3ObjectStore {
  constructor(
    bucket: string,
    private readonly tally: Map<string, number>,
    private readonly stall?: () => Promise<void>,
  ) {
    super(storeConfig(bucket, { maxAttempts: 1 }));
  }
  override async delete(targets: readonly DeleteTarget[], opts?: { allVersions?: boolean }): Promise<DeleteResult[]> {
    await this.stall?.();
    for (const t of targets) {
      const key = typeof t === 'string' ? t : t.key;
      this.tally.set(key, (this.tally.get(key) ?? 0) + 1);
    }
    return super.delete(targets, opts);
  }
}

/** Real time moved forward by hand (a lease expires without waiting for it). */
const clock = { offset: 0, now: () => Date.now() + clock.offset };

function config(instanceId: string, bucket: string) {
  const r = rgw();
  return ConfigSchema.parse({
    service: { instanceId },
    routes: { agents: { context: 'consentline-after', extension: 'agents' } },
    flows: [{ id: 'hotline', default: true, legalBasis: 'consent_by_conduct', menu: { '1': { action: 'route', route: 'agents' } }, defaultRoute: 'agents', fallbackRoute: 'agents' }],
    recordings: { store: { type: 's3', bucket, region: r.region, endpoint: r.endpoint, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED' } },
    retention: { batchSize: 20, leaseSeconds: 30, deleteAttempts: 1 },
  });
}

interface Instance {
  readonly evidence: PgEvidenceStore;
  readonly pool: PgPool;
  sweep(): Promise<SweepReport>;
}

interface Stalls {
  readonly hooks?: RetentionServiceDeps['hooks'];
  readonly inDelete?: () => Promise<void>;
}

async function instance(name: string, world: { schema: string; bucket: string; tally: Map<string, number> }, stalls: Stalls = {}): Promise<Instance> {
  const evidence = await openPgEvidenceStore({ url: dbUrl(), schema: world.schema, max: 2 });
  const pool = createPgPool({ url: dbUrl(), schema: world.schema, max: 3, applicationName: `consentline-${name}` });
  const objectStore = new CountingS3Store(world.bucket, world.tally, stalls.inDelete);
  onTestFinished(async () => {
    await objectStore.close();
    await pool.end();
    await evidence.close();
  });
  const service = createRetentionService(config(name, world.bucket), {
    repo: new PgRetentionRepo(pool),
    evidence,
    objectStore,
    signer,
    pepper: 'two-instances-pepper',
    clock,
    log: quietLog(),
    ...(stalls.hooks ? { hooks: stalls.hooks } : {}),
  });
  return { evidence, pool, sweep: () => service.sweep() };
}

/** `n` recordings of calls captured long ago: objects in the bucket, rows in the database. */
async function dueRecordings(world: { bucket: string }, inst: Instance, n: number): Promise<Array<{ id: string; key: string }>> {
  const out: Array<{ id: string; key: string }> = [];
  for (let i = 0; i < n; i++) {
    const callId = randomUUID();
    const id = randomUUID();
    const key = `recordings/2020/01/10/${id}.wav.enc`;
    await inst.evidence.append(
      { callId, kind: 'call.started', at: CAPTURED, data: { flowId: 'hotline' } },
      { callOpen: { callId, startedAt: CAPTURED, flowId: 'hotline', did: '+48221234567', legalBasis: 'consent_by_conduct', server: 'pbx-1', language: 'pl' } },
    );
    await c.send(new PutObjectCommand({ Bucket: world.bucket, Key: key, Body: `recording ${i}` }));
    await inst.pool.query(
      `INSERT INTO recordings (id, call_id, source, source_name, found_by, state, disposition, started_at, stopped_at, context_id,
         plaintext_bytes, plaintext_sha256, store, object_key, created_at, updated_at)
       VALUES ($1, $2, 'spool', $3, 'ami', 'done', 'keep', $4, $4, $2, 12, $5, 's3', $6, $4, $4)`,
      [id, callId, `consentline-${id}.wav`, CAPTURED, '0'.repeat(64), key],
    );
    out.push({ id, key });
  }
  return out;
}

async function exists(bucket: string, key: string): Promise<boolean> {
  try {
    await c.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (e) {
    if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
    throw e;
  }
}

/**
 * Each item: object gone, asked to be deleted once (or `twice` for those a stalled store call
 * had already sent), one deletion event, row deleted; the chain verifies.
 */
async function expectDeletedOnce(world: { bucket: string; tally: Map<string, number> }, inst: Instance, items: Array<{ id: string; key: string }>, twice = new Set<string>()) {
  for (const it of items) {
    expect(world.tally.get(it.key), `deletes of ${it.key}`).toBe(twice.has(it.key) ? 2 : 1);
    expect(await exists(world.bucket, it.key)).toBe(false);
  }
  const events = await inst.pool.query<{ rid: string; n: number }>(
    `SELECT data->>'recordingId' AS rid, count(*)::int AS n FROM events WHERE kind = 'recording.deleted' GROUP BY 1`,
  );
  expect(events.rows).toHaveLength(items.length);
  for (const row of events.rows) expect(row.n, `events for ${row.rid}`).toBe(1);
  expect(new Set(events.rows.map((r) => r.rid))).toEqual(new Set(items.map((i) => i.id)));
  const rows = await inst.pool.query<{ state: string; n: number }>('SELECT state, count(*)::int AS n FROM recordings GROUP BY state');
  expect(rows.rows).toEqual([{ state: 'deleted', n: items.length }]);
  const verify = await inst.evidence.verify();
  expect(verify.ok).toBe(true);
}

/**
 * A (which seeds `n` items) and B on one world; the first time A reaches its stall point it
 * pushes the clock past its lease and B runs a whole sweep. Returns both reports.
 */
async function takeover(n: number, stallAt: 'afterMark' | 'inDelete') {
  const world = { schema: freshSchema(), bucket: await makeBucket(), tally: new Map<string, number>() };
  const b = await instance('cl-b', world);
  let rb: SweepReport | null = null;
  let stalled: readonly string[] = [];
  const stall = async (ids: readonly string[] = []) => {
    if (rb) return;
    stalled = ids;
    clock.offset += 31_000;
    rb = await b.sweep();
  };
  const a = await instance('cl-a', world, stallAt === 'afterMark' ? { hooks: { afterMark: stall } } : { inDelete: () => stall() });
  const items = await dueRecordings(world, a, n);
  const ra = await a.sweep();
  expect(ra.status).toBe('lease_lost');
  if (ra.status === 'busy') throw new Error('unreachable');
  expect(ra.recordings.deleted).toBe(0);
  const bReport = rb as SweepReport | null;
  if (!bReport || bReport.status !== 'done') throw new Error(`B did not run: ${JSON.stringify(bReport)}`);
  return { world, b, items, stalled, bRecordings: bReport.recordings };
}

describe('two instances sweeping one PostgreSQL database and one bucket', () => {
  it('sweep at once, again and again: the lease lets one run at a time; each object deleted once, one event each', async () => {
    const world = { schema: freshSchema(), bucket: await makeBucket(), tally: new Map<string, number>() };
    const a = await instance('cl-a', world);
    const b = await instance('cl-b', world);
    const items = await dueRecordings(world, a, 120);

    const runs = async (inst: Instance) => {
      const reports: SweepReport[] = [];
      // Until a run of this instance finds nothing left; a busy one tries again shortly.
      for (let i = 0; i < 500; i++) {
        const r = await inst.sweep();
        reports.push(r);
        if (r.status === 'done' && r.recordings.due === 0) break;
        if (r.status === 'busy') await new Promise((res) => setTimeout(res, 10));
      }
      return reports;
    };
    const [ra, rb] = await Promise.all([runs(a), runs(b)]);
    const all = [...ra, ...rb];
    const deleted = all.reduce((n, r) => n + (r.status === 'busy' ? 0 : r.recordings.deleted), 0);
    expect(deleted).toBe(items.length);
    expect(all.some((r) => r.status === 'busy')).toBe(true); // they did overlap
    expect(all.filter((r) => r.status === 'lease_lost')).toEqual([]);
    await expectDeletedOnce(world, a, items);
  }, 120_000);

  it('an instance that stalls past its lease loses it: the other takes over its marks, the stalled one deletes nothing', async () => {
    // A stalls between marking a batch and deleting it.
    const { world, b, items, stalled, bRecordings } = await takeover(60, 'afterMark');
    expect(stalled).toHaveLength(20);
    expect(bRecordings).toMatchObject({ resumed: 20, deleted: 60, failed: 0, locked: 0 });
    await expectDeletedOnce(world, b, items);
  }, 120_000);

  it('an instance that stalls inside its store call past its lease: the other resumes that batch, and the stalled one writes no second event', async () => {
    // A's DeleteObjects is on its way but takes longer than the lease.
    const { world, b, items, bRecordings } = await takeover(50, 'inDelete');
    expect(bRecordings).toMatchObject({ resumed: 20, deleted: 50, failed: 0 });
    // A's stalled request still reached the store after B's, for its first batch only: those keys were
    // named twice (the second found nothing left), and still have one event each.
    const firstBatch = [...items].sort((x, y) => (x.id < y.id ? -1 : 1)).slice(0, 20).map((i) => i.key);
    const twice = new Set([...world.tally].filter(([, n]) => n === 2).map(([k]) => k));
    expect(twice).toEqual(new Set(firstBatch));
    await expectDeletedOnce(world, b, items, twice);
  }, 120_000);
});
