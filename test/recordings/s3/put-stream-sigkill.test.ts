/**
 * A process streaming a recording into S3 (encryptOpenFileInto → putStream) is killed with SIGKILL
 * mid-body, then the put runs again: no object after the kill (a PutObject short of its length, or a
 * multipart upload never completed, is no object), exactly one whole object after the second run,
 * and it decrypts to the plaintext. Uploads go through a throttling relay so the kill lands mid-body.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, expect, it } from 'vitest';
import { createRecordingEnvelope, createRecordingKeyring } from '../../../src/recordings/crypto/index.js';
import { recordingObjectKey, S3ObjectStore, type S3StoreConfig } from '../../../src/recordings/storage/index.js';
import { waitFor } from '../pipeline/helpers.js';
import { StoreRelay } from './pipeline-helpers.js';
import { makeBucket, rgw, s3Client, storeConfig } from './rgw.js';

const CHILD = fileURLToPath(new URL('./put-stream-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cl-s3-stream-kill-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const CALL = '6a1f0c2b-3d4e-4f5a-8b6c-7d8e9f0a1b2c';
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

function run(cfg: object): { output: () => string; exited: Promise<number | null>; kill: () => void } {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], { cwd: ROOT, env: { ...process.env, PUT_STREAM_CHILD: JSON.stringify(cfg) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { output: () => out, exited, kill: () => child.kill('SIGKILL') };
}

async function readAll(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

it.each([
  ['PutObject', {}],
  ['multipart', { multipartThresholdBytes: 5 * 1024 * 1024, partSizeBytes: 5 * 1024 * 1024, multipartQueueSize: 1 }],
])('%s: SIGKILL mid-body leaves no object; the put again stores exactly one whole object', { timeout: 90_000 }, async (_name, extra: Partial<S3StoreConfig>) => {
  const bucket = await makeBucket();
  const relay = new StoreRelay(rgw().port, 2 * 1024 * 1024); // ~2 MB/s: 16 MB take seconds
  await relay.open();
  try {
    const plain = randomBytes(16 * 1024 * 1024);
    const file = join(dir, `${_name}.wav`);
    writeFileSync(file, plain);
    const key = recordingObjectKey({ callId: CALL, recordingId: '00000000-0000-4000-8000-000000000001', startedAt: '2026-12-07T10:00:00Z' });
    const cfg = { key, file, keyFile: join(dir, 'k.key'), callId: CALL };

    const first = run({ ...cfg, store: storeConfig(bucket, { ...extra, endpoint: relay.endpoint }) });
    await waitFor(() => first.output().includes('streaming\n'), `the upload started (child said: ${first.output()})`, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // a few MB into the body
    first.kill();
    await first.exited;
    await relay.close(); // the relay's half of the dead connection goes too
    const s3 = s3Client();
    const listed = async (): Promise<string[]> => ((await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map((o) => o.Key!);
    expect(await listed()).toEqual([]);

    const second = run({ ...cfg, store: storeConfig(bucket, extra) });
    expect(await second.exited).toBe(0);
    const outcome = JSON.parse(second.output().trim().split('\n').pop()!) as { status: string; ciphertextBytes: number };
    expect(outcome.status).toBe('created');
    expect(await listed()).toEqual([key]);
    const store = new S3ObjectStore(storeConfig(bucket));
    expect((await store.head(key))?.bytes).toBe(outcome.ciphertextBytes);
    const env = createRecordingEnvelope(await createRecordingKeyring({ mode: 'local', keyFile: cfg.keyFile }));
    expect(sha(await readAll(env.decryptStream(await store.get(key), { expectedCallId: CALL })))).toBe(sha(plain));
    await store.close();
    s3.destroy();
  } finally {
    await relay.close();
  }
});
