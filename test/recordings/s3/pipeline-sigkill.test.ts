/**
 * The service is killed with SIGKILL while a large multipart upload is in flight, and started
 * again: exactly one object, its checksum right, the local copies gone. The worker runs in a child
 * process (tsx) on the test's SQLite file; uploads go through a throttling relay to RGW so that the
 * upload is reliably in flight when the signal lands.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ListMultipartUploadsCommand, ListObjectsV2Command, ListPartsCommand } from '@aws-sdk/client-s3';
import { afterEach, expect, test } from 'vitest';
import { S3ObjectStore, verifyStoredObject } from '../../../src/recordings/storage/index.js';
import { wavHeader } from '../../emulators/ami/index.js';
import { eventsOf, ledgerCall, readAll, rowBySource, sha256, waitFor, world, type World } from '../pipeline/helpers.js';
import { spoolFile, StoreRelay } from './pipeline-helpers.js';
import { makeBucket, rgw, s3Client, storeConfig } from './rgw.js';

const CHILD = fileURLToPath(new URL('./pipeline-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

let w: World | undefined;
let relay: StoreRelay | undefined;
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await w?.close();
  await relay?.close();
});

function startChild(env: object): { child: ChildProcess; ready: Promise<void>; exited: Promise<void>; output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    cwd: ROOT,
    env: { ...process.env, PIPELINE_CHILD: JSON.stringify(env) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const ready = waitFor(() => out.includes('ready\n') || child.exitCode !== null, 'child ready', 20_000).then(() => {
    if (child.exitCode !== null) throw new Error(`child exited: ${out}`);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, ready, exited, output: () => out };
}

test('SIGKILL mid multipart upload, then a restart: exactly one object, checksum right, local file gone', { timeout: 60_000 }, async () => {
  const r = rgw();
  const bucket = await makeBucket();
  w = await world();
  relay = new StoreRelay(r.port, 10 * 1024 * 1024); // ~10 MB/s upstream: a 40 MB upload takes seconds
  await relay.open();
  // 40 MB of 8 kHz PCM is 44 minutes: the call began an hour ago, or the recording would be
  // quarantined as longer than its call.
  const callId = await ledgerCall(w, 'yes', undefined, new Date(Date.now() - 3_600_000).toISOString());
  const plain = Buffer.concat([wavHeader(40 * 1024 * 1024), randomBytes(40 * 1024 * 1024)]);
  const f = spoolFile(w.spoolDir, callId, '1700000300.1', plain);
  const env = {
    dbPath: w.dbPath,
    dataDir: w.dataDir,
    spoolDir: w.spoolDir,
    store: storeConfig(bucket, {
      endpoint: relay.endpoint,
      multipartThresholdBytes: 8 * 1024 * 1024,
      partSizeBytes: 5 * 1024 * 1024,
      multipartQueueSize: 1,
    }),
  };
  const s3 = s3Client();

  // run 1: killed while the multipart upload has parts on the server but is not complete
  const first = startChild(env);
  await first.ready;
  const uploadId = await waitFor(async () => {
    const res = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    const up = res.Uploads?.[0];
    if (!up) return undefined;
    const parts = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: up.Key!, UploadId: up.UploadId! }));
    return (parts.Parts?.length ?? 0) >= 1 ? up.UploadId : undefined;
  }, 'a multipart upload with a part stored', 30_000);
  expect(uploadId).toBeTruthy();
  first.child.kill('SIGKILL');
  await first.exited;
  expect(first.child.signalCode).toBe('SIGKILL');
  const afterKill = rowBySource(w, f.name)!;
  expect(afterKill.state).toBe('encrypted');
  expect(afterKill.claimed_by).toBe('consentline-child'); // the dead run's claim is still there
  expect((await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).KeyCount ?? 0).toBe(0);
  expect(existsSync(f.path)).toBe(true);

  // run 2: the same instance starts again and finishes it
  const second = startChild(env);
  await second.ready;
  const done = await waitFor(() => {
    const row = rowBySource(w!, f.name);
    return row?.state === 'done' ? row : undefined;
  }, `done (child said: ${second.output().slice(-500)})`, 40_000);
  second.child.kill('SIGTERM');
  await second.exited;
  expect(done.disposition).toBe('keep');

  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  expect((listed.Contents ?? []).map((o) => o.Key)).toEqual([done.object_key]);
  expect(listed.Contents![0]!.Size).toBe(done.ciphertext_bytes);
  const store = new S3ObjectStore(storeConfig(bucket));
  expect(await store.head(done.object_key!)).toMatchObject({ bytes: done.ciphertext_bytes, sha256: done.ciphertext_sha256 });
  await verifyStoredObject(store, done.object_key!, { bytes: done.ciphertext_bytes!, sha256: done.ciphertext_sha256! });
  expect(done.plaintext_sha256).toBe(sha256(plain));
  const back = await readAll(w.envelope.decryptStream(await store.get(done.object_key!), { expectedCallId: callId }));
  expect(back.length).toBe(plain.length);
  expect(sha256(back)).toBe(sha256(plain));
  expect(existsSync(f.path)).toBe(false);
  expect(readdirSync(join(w.dataDir, 'recordings', 'work'))).toEqual([]);
  const kinds = (await eventsOf(w, done.id)).map((e) => e.kind);
  expect(kinds.filter((k) => k === 'recording.stored')).toHaveLength(1);
  await store.close();
  s3.destroy();
});
