/**
 * Two ConsentLine instances on one PostgreSQL database share one recordings queue: each has its
 * own pools, evidence store, repository, worker id and work dir; both scan the same spool dir and
 * upload to the real S3 (Ceph RGW). Every recording must be stored exactly once.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, expect, test } from 'vitest';
import { createPgPool } from '../../../src/db/pg.js';
import { openPgEvidenceStore, type PgEvidenceStore } from '../../../src/evidence/pg-store.js';
import type { StoredEvent } from '../../../src/evidence/types.js';
import { createRecordingEnvelope, createRecordingKeyring, type RecordingEnvelope } from '../../../src/recordings/crypto/index.js';
import { PgRecordingRepo, RecordingPipeline, SpoolSource } from '../../../src/recordings/pipeline/index.js';
import { S3ObjectStore } from '../../../src/recordings/storage/index.js';
import { logSink } from '../../ami/helpers.js';
import { freshSchema, testDatabase } from '../../contract/pg-helpers.js';
import { toneWav } from '../../emulators/ami/index.js';
import { readAll, sha256, waitFor } from '../pipeline/helpers.js';
import { spoolFile } from './pipeline-helpers.js';
import { makeBucket, rgw, s3Client, storeConfig } from './rgw.js';

const dbUrl = testDatabase('cl_rec_two');
const dir = mkdtempSync(join(tmpdir(), 'cl-rec-two-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Instance {
  readonly name: string;
  readonly evidence: PgEvidenceStore;
  readonly repo: PgRecordingRepo;
  readonly envelope: RecordingEnvelope;
  readonly store: S3ObjectStore;
  readonly pipeline: RecordingPipeline;
  readonly sink: ReturnType<typeof logSink>;
  close(): Promise<void>;
}

async function instance(name: string, schema: string, bucket: string, spoolDir: string): Promise<Instance> {
  const evidence = await openPgEvidenceStore({ url: dbUrl(), schema, max: 3 });
  const pool = createPgPool({ url: dbUrl(), schema, max: 4 });
  const repo = new PgRecordingRepo(pool);
  const envelope = createRecordingEnvelope(await createRecordingKeyring({ mode: 'local', keyFile: join(dir, 'recording.key') }));
  const store = new S3ObjectStore(storeConfig(bucket));
  const sink = logSink();
  const pipeline = new RecordingPipeline(
    {
      instanceId: name,
      capture: 'dialplan',
      quarantineDays: 7,
      verify: 'read-back',
      storeInfo: { store: 's3', bucket, region: rgw().region },
      concurrency: 2,
      initialBackoffMs: 50,
      maxBackoffMs: 200,
      pollMs: 20,
      scanIntervalMs: 40,
      settleMs: 0,
      leaseMs: 10_000,
    },
    { repo, evidence, store, envelope, source: new SpoolSource({ dir: spoolDir }), workDir: join(dir, name, 'work'), log: sink.logger, watcher: null },
  );
  return {
    name,
    evidence,
    repo,
    envelope,
    store,
    pipeline,
    sink,
    async close() {
      await pipeline.stop();
      await store.close();
      await evidence.close();
      await pool.end();
    },
  };
}

async function consentedCall(evidence: PgEvidenceStore): Promise<string> {
  const callId = randomUUID();
  const startedAt = new Date().toISOString();
  await evidence.append(
    { callId, kind: 'call.started', data: { flowId: 'main' } },
    { callOpen: { callId, startedAt, flowId: 'main', did: '+48221234567', legalBasis: 'consent_by_conduct', server: 'asterisk-1', language: 'pl' } },
  );
  await evidence.append({ callId, kind: 'consent.recording', data: { value: 'yes' } }, { callPatch: { recording: 'yes', outcome: 'continued' } });
  return callId;
}

async function allEvents(evidence: PgEvidenceStore): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for await (const e of evidence.events()) out.push(e);
  return out;
}

test('two instances, one PostgreSQL queue, 20 recordings: each uploaded, verified and in the ledger exactly once; none left', async () => {
  const schema = freshSchema();
  const bucket = await makeBucket();
  const spoolDir = join(dir, 'spool');
  mkdirSync(spoolDir, { recursive: true });
  // In turn: the first creates the recording key, the second reads the same one.
  const a = await instance('consentline-a', schema, bucket, spoolDir);
  const b = await instance('consentline-b', schema, bucket, spoolDir);
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
    const uploads = [a, b].map((x) => x.sink.lines().filter((l) => l['msg'] === 'recording uploaded' || l['msg'] === 'recording was already stored'));
    const uploaded = uploads.flat().map((l) => l['recordingId']);
    expect(uploaded).toHaveLength(files.size);
    expect(new Set(uploaded)).toEqual(new Set(rows.map((r) => r.id)));
    expect(uploads.every((u) => u.length > 0)).toBe(true);
    expect(uploads.flat().every((l) => l['msg'] === 'recording uploaded')).toBe(true);

    // The bucket holds one object per recording, each the encrypted file as it was spooled.
    const c = s3Client();
    const listed = await c.send(new ListObjectsV2Command({ Bucket: bucket }));
    c.destroy();
    expect((listed.Contents ?? []).map((o) => o.Key).sort()).toEqual(rows.map((r) => r.object_key).sort());
    for (const r of rows) {
      const f = files.get(r.source_name)!;
      expect(r.call_id).toBe(f.callId);
      const plain = await readAll(b.envelope.decryptStream(await b.store.get(r.object_key!), { expectedCallId: f.callId }));
      expect(sha256(plain)).toBe(sha256(f.wav));
    }

    // One chain for both instances: each recording stopped (found by one scan) and stored once.
    const events = await allEvents(a.evidence);
    for (const kind of ['recording.stopped', 'recording.stored'] as const) {
      const ids = events.filter((e) => e.kind === kind).map((e) => e.data['recordingId']);
      expect(ids.sort(), kind).toEqual(rows.map((r) => r.id).sort());
    }
    expect(events.some((e) => e.kind === 'recording.upload_failed')).toBe(false);
    const head = await b.evidence.head();
    expect(await b.evidence.verify()).toEqual({ ok: true, checked: head!.seq, headHash: head!.hash });
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
