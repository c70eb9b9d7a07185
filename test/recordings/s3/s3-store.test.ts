import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { GetObjectRetentionCommand, HeadObjectCommand, ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecordingEnvelope, createRecordingKeyring } from '../../../src/recordings/crypto/index.js';
import {
  ObjectStoreError,
  S3ObjectStore,
  recordingObjectKey,
  verifyStoredObject,
} from '../../../src/recordings/storage/index.js';
import { makeBucket, rgw, s3Client, store, storeConfig } from './rgw.js';

const dir = mkdtempSync(join(tmpdir(), 'cl-s3-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const CALL = '6a1f0c2b-3d4e-4f5a-8b6c-7d8e9f0a1b2c';
let n = 0;
const key = (): string =>
  recordingObjectKey({ callId: CALL, recordingId: `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`, startedAt: '2026-11-28T10:00:00Z' });

async function readAll(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

let bucket: string;
beforeAll(async () => {
  bucket = await makeBucket();
});

describe('S3 store against Ceph RGW', () => {
  it('encrypt → put → verify → get → decrypt is byte-identical', async () => {
    const env = createRecordingEnvelope(await createRecordingKeyring({ mode: 'local', keyFile: join(dir, 'k.key') }));
    const plain = randomBytes(1_234_567);
    writeFileSync(join(dir, 'r.wav'), plain);
    const enc = await env.encryptFile(join(dir, 'r.wav'), join(dir, 'r.wav.enc'), { callId: CALL });
    const s = store(bucket);
    const k = key();
    const put = await s.put(k, join(dir, 'r.wav.enc'), { bytes: enc.ciphertextBytes, sha256: enc.ciphertextSha256 });
    expect(put.created).toBe(true);
    expect(put.etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(await s.head(k)).toMatchObject({ bytes: enc.ciphertextBytes, sha256: enc.ciphertextSha256 });
    await verifyStoredObject(s, k, { bytes: enc.ciphertextBytes, sha256: enc.ciphertextSha256 });
    const back = await readAll(env.decryptStream(await s.get(k), { expectedCallId: CALL }));
    expect(back.length).toBe(plain.length);
    expect(sha(back)).toBe(sha(plain));
    // ranges are inclusive, HTTP style
    const ct = readFileSync(join(dir, 'r.wav.enc'));
    expect((await readAll(await s.get(k, { start: 10, end: 19 }))).equals(ct.subarray(10, 20))).toBe(true);
    expect((await readAll(await s.get(k, { start: ct.length - 5 }))).equals(ct.subarray(-5))).toBe(true);
    await s.close();
  });

  it('If-None-Match put: same content again → created:false; different content → CONFLICT', async () => {
    const s = store(bucket);
    const k = key();
    const a = randomBytes(10_000);
    const b = randomBytes(10_000);
    expect((await s.put(k, Readable.from([a]), { bytes: a.length, sha256: sha(a) })).created).toBe(true);
    const again = await s.put(k, Readable.from([a]), { bytes: a.length, sha256: sha(a) });
    expect(again.created).toBe(false);
    const err = await s.put(k, Readable.from([b]), { bytes: b.length, sha256: sha(b) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ObjectStoreError);
    expect(err).toMatchObject({ code: 'CONFLICT' });
    expect(sha(await readAll(await s.get(k)))).toBe(sha(a)); // untouched
    // head-before-write mode behaves the same
    const hb = store(bucket, { conditionalWrites: false });
    expect((await hb.put(k, Readable.from([a]), { bytes: a.length, sha256: sha(a) })).created).toBe(false);
    await expect(hb.put(k, Readable.from([b]), { bytes: b.length, sha256: sha(b) })).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('concurrent identical puts: exactly one creates', async () => {
    const s = store(bucket);
    const k = key();
    const a = randomBytes(50_000);
    const results = await Promise.all(
      Array.from({ length: 5 }, () => s.put(k, Readable.from([a]), { bytes: a.length, sha256: sha(a) })),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
  });

  it('multipart above the threshold: stored, verified, real ETag read back, idempotent', async () => {
    const s = store(bucket, { multipartThresholdBytes: 8 * 1024 * 1024, partSizeBytes: 5 * 1024 * 1024 });
    const k = key();
    const big = randomBytes(12 * 1024 * 1024 + 333);
    writeFileSync(join(dir, 'big.enc'), big);
    const put = await s.put(k, join(dir, 'big.enc'), { bytes: big.length, sha256: sha(big) });
    expect(put.created).toBe(true);
    expect(put.etag).toMatch(/-3"$/); // RGW's Complete answer is empty; this comes from HeadObject
    await verifyStoredObject(s, k, { bytes: big.length, sha256: sha(big) });
    expect((await s.put(k, createReadStream(join(dir, 'big.enc')), { bytes: big.length, sha256: sha(big) })).created).toBe(false);
    const other = randomBytes(big.length);
    await expect(s.put(k, Readable.from([other]), { bytes: other.length, sha256: sha(other) })).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('verifyStoredObject notices a mismatch', async () => {
    const s = store(bucket);
    const k = key();
    const a = randomBytes(1000);
    await s.put(k, Readable.from([a]), { bytes: a.length, sha256: sha(a) });
    await expect(verifyStoredObject(s, k, { bytes: a.length, sha256: sha(randomBytes(4)) })).rejects.toMatchObject({ code: 'INTEGRITY' });
  });

  it('delete in batches reports per key', async () => {
    const s = store(bucket);
    const keys = [key(), key(), key()];
    for (const k of keys) await s.put(k, Readable.from([Buffer.from(k)]), { bytes: k.length, sha256: sha(Buffer.from(k)) });
    const res = await s.delete([...keys, key()]);
    expect(res).toHaveLength(4);
    expect(res.every((r) => r.status === 'deleted')).toBe(true);
    for (const k of keys) expect(await s.head(k)).toBeNull();
    await expect(s.get(keys[0]!)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('region allow-list and location check', () => {
  it.each(['us-east-1', 'eu-west-2', 'eu-central-2', 'ap-south-1'])('refuses region %s at construction', (region) => {
    expect(() => new S3ObjectStore(storeConfig('b', { region }))).toThrow(expect.objectContaining({ code: 'LOCATION' }));
  });

  it('checkLocation: ok for the configured EU region', async () => {
    await expect(store(bucket).checkLocation()).resolves.toEqual({ ok: true, location: 'eu-central-1' });
  });

  it('RGW refuses to create a bucket in another region (InvalidLocationConstraint)', async () => {
    const c = s3Client();
    const { CreateBucketCommand } = await import('@aws-sdk/client-s3');
    const err = await c
      .send(new CreateBucketCommand({ Bucket: 'cl-us-bucket', CreateBucketConfiguration: { LocationConstraint: 'us-west-2' } }))
      .catch((e: unknown) => e as { name: string });
    expect(err).toMatchObject({ name: 'InvalidLocationConstraint' });
  });

  it('checkLocation: mismatch with the configured region, and a non-EU bucket with a widened list', async () => {
    const wrong = store(bucket, { region: 'eu-west-1' });
    const r = await wrong.checkLocation();
    expect(r).toMatchObject({ ok: false, location: 'eu-central-1' });
    expect(!r.ok && r.reason).toMatch(/configured region is eu-west-1/);
    // configured region allowed by an operator's list, but the bucket answers eu-central-1
    const widened = store(bucket, { region: 'us-west-2', allowedRegions: ['us-west-2'] });
    const w = await widened.checkLocation();
    expect(w.ok).toBe(false);
    expect(!w.ok && w.reason).toMatch(/not in the allowed list/);
  });

  it('checkLocation: missing bucket', async () => {
    await expect(store('cl-no-such-bucket').checkLocation()).resolves.toMatchObject({ ok: false, location: null });
  });
});

describe('failures are typed', () => {
  it('wrong secret → AUTH (SignatureDoesNotMatch 403)', async () => {
    const r = rgw();
    const s = store(bucket, { credentials: { accessKeyId: r.accessKeyId, secretAccessKey: 'wrong-secret' } });
    const err = await s.head(key()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'AUTH', status: 403 });
    const put = await s.put(key(), Readable.from([Buffer.from('x')]), { bytes: 1, sha256: sha(Buffer.from('x')) }).catch((e: unknown) => e);
    expect(put).toMatchObject({ code: 'AUTH', awsCode: 'SignatureDoesNotMatch', status: 403 });
  });

  it('store down (closed port) → UNAVAILABLE, not a crash', async () => {
    const s = store(bucket, { endpoint: 'http://127.0.0.1:1', maxAttempts: 1 });
    await expect(s.head(key())).rejects.toMatchObject({ name: 'ObjectStoreError', code: 'UNAVAILABLE' });
    await expect(s.put(key(), Readable.from([Buffer.from('x')]), { bytes: 1, sha256: sha(Buffer.from('x')) })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
    });
    await expect(s.checkLocation()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('invalid keys and hashes are refused before any request', async () => {
    const s = store(bucket);
    await expect(s.put('../etc/passwd', Readable.from([]), { bytes: 0, sha256: sha(Buffer.alloc(0)) })).rejects.toMatchObject({ code: 'INVALID' });
    await expect(s.put(key(), Readable.from([]), { bytes: 0, sha256: 'abc' })).rejects.toMatchObject({ code: 'INVALID' });
  });
});

describe('SSE-KMS and Object Lock', () => {
  it('SSE-KMS put with the testing backend: encrypted at rest, read back transparently', async () => {
    const s = store(bucket, { sseKmsKeyId: rgw().kmsKeyId });
    const k = key();
    const a = randomBytes(300_000);
    await s.put(k, Readable.from([a]), { bytes: a.length, sha256: sha(a) });
    const head = await s3Client().send(new HeadObjectCommand({ Bucket: bucket, Key: k }));
    expect(head.ServerSideEncryption).toBe('aws:kms');
    expect(head.SSEKMSKeyId).toBe(rgw().kmsKeyId);
    expect(sha(await readAll(await s.get(k)))).toBe(sha(a));
  });

  it('retain-until really set; deleting the locked version is refused', async () => {
    const locked = await makeBucket({ objectLock: true });
    const s = store(locked, { objectLock: { mode: 'COMPLIANCE' } });
    const k = key();
    const a = randomBytes(20_000);
    const retainUntil = new Date(Date.now() + 24 * 3600_000);
    retainUntil.setMilliseconds(0);
    const put = await s.put(k, Readable.from([a]), { bytes: a.length, sha256: sha(a), retainUntil });
    expect(put.versionId).toBeTruthy();
    const ret = await s3Client().send(new GetObjectRetentionCommand({ Bucket: locked, Key: k, VersionId: put.versionId }));
    expect(ret.Retention?.Mode).toBe('COMPLIANCE');
    expect(ret.Retention?.RetainUntilDate?.getTime()).toBe(retainUntil.getTime());

    const [res] = await s.delete([{ key: k, versionId: put.versionId! }]);
    expect(res).toMatchObject({ key: k, status: 'locked' });
    const all = await s.delete([k], { allVersions: true });
    expect(all).toEqual([expect.objectContaining({ key: k, versionId: put.versionId, status: 'locked' })]);
    const versions = await s3Client().send(new ListObjectVersionsCommand({ Bucket: locked, Prefix: k }));
    expect(versions.Versions?.map((v) => v.VersionId)).toEqual([put.versionId]);
    expect(sha(await readAll(await s.get(k)))).toBe(sha(a));
  });

  it('retainUntil without objectLock configured is refused', async () => {
    const a = Buffer.from('x');
    await expect(store(bucket).put(key(), Readable.from([a]), { bytes: 1, sha256: sha(a), retainUntil: new Date() })).rejects.toMatchObject({
      code: 'INVALID',
    });
  });

  it('allVersions delete removes every version of an unlocked object', async () => {
    const { PutBucketVersioningCommand } = await import('@aws-sdk/client-s3');
    const vb = await makeBucket();
    await s3Client().send(new PutBucketVersioningCommand({ Bucket: vb, VersioningConfiguration: { Status: 'Enabled' } }));
    const s = store(vb, { conditionalWrites: false });
    const k = key();
    const a = Buffer.from('first');
    await s.put(k, Readable.from([a]), { bytes: a.length, sha256: sha(a) });
    await s.delete([k]); // delete marker only
    const b = Buffer.from('second');
    await s.put(k, Readable.from([b]), { bytes: b.length, sha256: sha(b) });
    const res = await s.delete([k], { allVersions: true });
    expect(res.length).toBe(3);
    expect(res.every((r) => r.status === 'deleted')).toBe(true);
    const versions = await s3Client().send(new ListObjectVersionsCommand({ Bucket: vb, Prefix: k }));
    expect(versions.Versions ?? []).toHaveLength(0);
    expect(versions.DeleteMarkers ?? []).toHaveLength(0);
    expect(statSync(dir).isDirectory()).toBe(true);
  });
});
