/**
 * A recording encrypted straight into the upload (envelope.encryptOpenFileInto → S3ObjectStore.putStream)
 * against Ceph RGW: the object is the whole message and decrypts; a second attempt under the same key
 * writes nothing and reports the object there (If-None-Match for PutObject, the look-up before a
 * multipart upload); an encryption that fails mid-body leaves no object and no multipart upload behind.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { HeadObjectCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecordingEnvelope, createRecordingKeyring, type RecordingEnvelope } from '../../../src/recordings/crypto/index.js';
import { recordingObjectKey, type S3ObjectStore } from '../../../src/recordings/storage/index.js';
import { makeBucket, s3Client, store } from './rgw.js';

const dir = mkdtempSync(join(tmpdir(), 'cl-s3-stream-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const CALL = '6a1f0c2b-3d4e-4f5a-8b6c-7d8e9f0a1b2c';
let n = 0;
const key = (): string =>
  recordingObjectKey({ callId: CALL, recordingId: `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`, startedAt: '2026-12-07T10:00:00Z' });

async function readAll(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

let bucket: string;
let env: RecordingEnvelope;
beforeAll(async () => {
  bucket = await makeBucket();
  env = createRecordingEnvelope(await createRecordingKeyring({ mode: 'local', keyFile: join(dir, 'k.key') }));
});

/** Encrypts `plain` (as a file) into a streamed put under `k`; `announced` is the plaintext length told to the encryption. */
async function streamed(s: S3ObjectStore, k: string, plain: Buffer, announced = plain.length) {
  const path = join(dir, `${k.replace(/\//g, '_')}.wav`);
  writeFileSync(path, plain);
  const h = await open(path);
  try {
    return await env.encryptOpenFileInto(h, { callId: CALL, plaintextBytes: announced }, ({ body, bytes, messageId }) =>
      s.putStream(k, body, { bytes, metadata: { 'message-id': messageId } }),
    );
  } finally {
    await h.close();
  }
}

describe('streamed put against Ceph RGW', () => {
  it.each([
    ['PutObject with If-None-Match', {}, 1_234_567],
    ['multipart, looked up first', { multipartThresholdBytes: 5 * 1024 * 1024, partSizeBytes: 5 * 1024 * 1024, multipartQueueSize: 1 }, 12 * 1024 * 1024 + 3],
  ])('%s: stored whole and decrypts; a second attempt writes nothing and reports the object', async (_name, extra, size) => {
    const s = store(bucket, extra);
    const k = key();
    const plain = randomBytes(size);
    const first = await streamed(s, k, plain);
    expect(first.uploaded.status).toBe('created');
    expect(first.result).toMatchObject({ plaintextBytes: size, plaintextSha256: sha(plain) });
    const stored = await s.head(k);
    expect(stored?.bytes).toBe(first.result!.ciphertextBytes);
    const back = await readAll(await s.get(k));
    expect(sha(back)).toBe(first.result!.ciphertextSha256);
    expect(sha(await readAll(env.decryptStream(await s.get(k), { expectedCallId: CALL })))).toBe(sha(plain));
    const c = s3Client();
    const meta = (await c.send(new HeadObjectCommand({ Bucket: bucket, Key: k }))).Metadata;

    const again = await streamed(s, k, plain);
    expect(again.uploaded).toMatchObject({ status: 'exists', existing: { bytes: stored!.bytes } });
    const after = (await c.send(new HeadObjectCommand({ Bucket: bucket, Key: k }))).Metadata;
    expect(after?.['message-id']).toBe(meta?.['message-id']); // the first attempt's object, untouched
    expect(sha(await readAll(await s.get(k)))).toBe(first.result!.ciphertextSha256);
    c.destroy();
    await s.close();
  });

  it.each([
    ['PutObject', {}, 3 * 1024 * 1024],
    ['multipart', { multipartThresholdBytes: 5 * 1024 * 1024, partSizeBytes: 5 * 1024 * 1024, multipartQueueSize: 1 }, 12 * 1024 * 1024],
  ])('%s: an encryption that fails before the end of the body leaves no object behind', async (_name, extra, size) => {
    const s = store(bucket, extra);
    const k = key();
    // The file is longer than announced: the body is cut off before its last bytes.
    await expect(streamed(s, k, randomBytes(size), size - 100)).rejects.toMatchObject({ code: 'ENCRYPT_FAILED' });
    expect(await s.head(k)).toBeNull();
    const c = s3Client();
    expect((await c.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: k }))).Uploads ?? []).toEqual([]);
    c.destroy();
    await s.close();
  });
});
