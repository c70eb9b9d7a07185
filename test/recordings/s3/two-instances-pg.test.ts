/**
 * Two ConsentLine instances on one PostgreSQL database share one recordings queue: each has its
 * own pools, evidence store, repository, worker id and work dir; both scan the same spool dir
 * (shared storage: one spoolId) and upload to the real S3 (Ceph RGW). Every recording must be
 * stored exactly once.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { freshSchema, testDatabase } from '../../contract/pg-helpers.js';
import { toneWav } from '../../emulators/ami/index.js';
import { waitFor } from '../pipeline/helpers.js';
import { consentedCall, expectStoredOnce, instance, uploadsOf } from './pg-instance.js';
import { spoolFile } from './pipeline-helpers.js';
import { makeBucket } from './rgw.js';

const dbUrl = testDatabase('cl_rec_two');
const dir = mkdtempSync(join(tmpdir(), 'cl-rec-two-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('two instances, one PostgreSQL queue, 20 recordings: each uploaded, verified and in the ledger exactly once; none left', async () => {
  const schema = freshSchema();
  const bucket = await makeBucket();
  const spoolDir = join(dir, 'spool');
  mkdirSync(spoolDir, { recursive: true });
  // In turn: the first creates the recording key, the second reads the same one.
  const setup = { dbUrl: dbUrl(), schema, bucket, spoolDir, spoolId: 'shared-spool', dir };
  const a = await instance({ ...setup, name: 'consentline-a' });
  const b = await instance({ ...setup, name: 'consentline-b' });
  try {
    const files = new Map<string, { callId: string; wav: Buffer }>();
    for (let i = 0; i < 20; i++) {
      const callId = await consentedCall(i % 2 ? a.evidence : b.evidence);
      const wav = toneWav(0.5 + (i % 5) * 0.25);
      files.set(spoolFile(spoolDir, callId, `17000010${String(i).padStart(2, '0')}.1`, wav).name, { callId, wav });
    }
    const started = performance.now();
    a.pipeline.start();
    b.pipeline.start();
    const counts = await waitFor(
      async () => {
        const c = await a.repo.countByState();
        return c['done'] === files.size ? c : undefined;
      },
      'every recording done',
      60_000,
    );
    const drainMs = performance.now() - started;
    expect(counts).toEqual({ done: files.size });

    // A worker releases its claim just after the row is done.
    const rows = await waitFor(async () => {
      const all = await a.repo.list();
      return all.every((r) => r.claimed_by === null) ? all : undefined;
    }, 'claims released');
    expect(rows).toHaveLength(files.size);
    expect(new Set(rows.map((r) => r.source_name))).toEqual(new Set(files.keys()));
    for (const r of rows) expect(r).toMatchObject({ state: 'done', disposition: 'keep', attempts: 0, claimed_until: null, last_error: null });

    // One upload per recording across both instances, and both took part.
    const uploads = [a, b].map(uploadsOf);
    const uploaded = uploads.flat().map((l) => l['recordingId']);
    expect(uploaded).toHaveLength(files.size);
    expect(new Set(uploaded)).toEqual(new Set(rows.map((r) => r.id)));
    expect(uploads.every((u) => u.length > 0)).toBe(true);
    expect(uploads.flat().every((l) => l['msg'] === 'recording uploaded')).toBe(true);

    // Each recording in the bucket as it was spooled, and stopped (found by one scan) and stored once in the one chain.
    await expectStoredOnce(bucket, rows, files, b, a);
    // Each instance's synchronous queue figure catches up with the other's work at its idle polls.
    await waitFor(() => a.pipeline.queueStats().depth + b.pipeline.queueStats().depth === 0, 'queue figures at 0');
    console.log(
      `two instances drained ${files.size} recordings in ${Math.round(drainMs)} ms (a: ${uploads[0]!.length}, b: ${uploads[1]!.length} uploads)`,
    );
  } finally {
    await a.close();
    await b.close();
  }
});
