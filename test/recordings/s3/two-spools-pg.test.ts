/**
 * The scale-out topology: two ConsentLine instances on one PostgreSQL database, each beside its own
 * Asterisk with its own spool dir (spoolIds `spool-a` and `spool-b`), uploading to the real S3
 * (Ceph RGW). A row's file exists only on its own host, so each recording must be taken up only
 * by the instance whose spool holds it: no 'file missing' failures, every upload exactly once.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { freshSchema, testDatabase } from '../../contract/pg-helpers.js';
import { toneWav } from '../../emulators/ami/index.js';
import { waitFor } from '../pipeline/helpers.js';
import { consentedCall, expectStoredOnce, instance, uploadsOf, type Instance, type SpooledFiles } from './pg-instance.js';
import { spoolFile } from './pipeline-helpers.js';
import { makeBucket } from './rgw.js';

const dbUrl = testDatabase('cl_rec_spools');
const dir = mkdtempSync(join(tmpdir(), 'cl-rec-spools-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PER_SPOOL = 10;

/** Recordings in `i`'s own spool dir, for calls in the shared ledger: file name → call and audio. */
async function recordOn(i: Instance, spoolDir: string, tag: string): Promise<SpooledFiles> {
  const files = new Map<string, { callId: string; wav: Buffer }>();
  for (let n = 0; n < PER_SPOOL; n++) {
    const callId = await consentedCall(i.evidence);
    const wav = toneWav(0.5 + (n % 4) * 0.25);
    files.set(spoolFile(spoolDir, callId, `1700002${tag}${String(n).padStart(2, '0')}.1`, wav).name, { callId, wav });
  }
  return files;
}

/** What went wrong on an instance, by its log: failed steps and refused names. */
function troubles(i: Instance): unknown[] {
  return i.sink.lines().filter((l) => /failed|missing|refused/.test(String(l['msg'])));
}

test("two instances, two spools, one queue: each recording uploaded once, by the instance whose spool holds it; another spool's due rows are left alone", async () => {
  const schema = freshSchema();
  const bucket = await makeBucket();
  const spools = { a: join(dir, 'spool-a'), b: join(dir, 'spool-b') };
  for (const d of Object.values(spools)) mkdirSync(d, { recursive: true });
  const common = { dbUrl: dbUrl(), schema, bucket, dir };
  // In turn: the first creates the recording key, the second reads the same one.
  const a = await instance({ ...common, name: 'consentline-a', spoolDir: spools.a, spoolId: 'spool-a' });
  const b = await instance({ ...common, name: 'consentline-b', spoolDir: spools.b, spoolId: 'spool-b' });
  try {
    const filesA = await recordOn(a, spools.a, '1');
    const filesB = await recordOn(b, spools.b, '2');

    // a's scan queues its recordings, but a's workers are not running: due and unclaimed, they
    // are in b's reach while b drains its own spool.
    expect(await a.pipeline.scanNow()).toMatchObject({ listed: PER_SPOOL, added: PER_SPOOL });
    b.pipeline.start();
    await waitFor(async () => (await b.repo.countByState())['done'] === PER_SPOOL, "b's recordings done", 60_000);
    await new Promise((r) => setTimeout(r, 500));
    const waiting = (await a.repo.list()).filter((r) => filesA.has(r.source_name));
    expect(waiting).toHaveLength(PER_SPOOL);
    for (const r of waiting) expect(r).toMatchObject({ state: 'spooled', spool_id: 'spool-a', attempts: 0, claimed_by: null, last_error: null });

    const started = performance.now();
    a.pipeline.start();
    const counts = await waitFor(
      async () => {
        const c = await a.repo.countByState();
        return c['done'] === 2 * PER_SPOOL ? c : undefined;
      },
      'every recording done',
      60_000,
    );
    const drainMs = performance.now() - started;
    expect(counts).toEqual({ done: 2 * PER_SPOOL });
    const rows = await waitFor(async () => {
      const all = await a.repo.list();
      return all.every((r) => r.claimed_by === null) ? all : undefined;
    }, 'claims released');

    // Each row on the spool that held its file, uploaded once, by that spool's instance, first try.
    for (const [i, files, spoolId] of [[a, filesA, 'spool-a'], [b, filesB, 'spool-b']] as const) {
      const own = rows.filter((r) => files.has(r.source_name));
      expect(own).toHaveLength(PER_SPOOL);
      for (const r of own) expect(r).toMatchObject({ spool_id: spoolId, state: 'done', disposition: 'keep', attempts: 0, last_error: null });
      const uploads = uploadsOf(i);
      expect(uploads.every((l) => l['msg'] === 'recording uploaded')).toBe(true);
      expect(uploads.map((l) => l['recordingId']).sort()).toEqual(own.map((r) => r.id).sort());
      expect(troubles(i)).toEqual([]);
    }

    // Each recording in the bucket as its own spool held it; stopped and stored once in the one chain.
    await expectStoredOnce(bucket, rows, new Map([...filesA, ...filesB]), a, b);
    console.log(`two spools: a drained its ${PER_SPOOL} recordings in ${Math.round(drainMs)} ms after b had drained its own`);
  } finally {
    await a.close();
    await b.close();
  }
});
