import { createHash } from 'node:crypto';
import { createReadStream, writeFileSync } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createRecordingEnvelope, createRecordingKeyring, withEncryptionThreads, type Hashes, type RecordingEnvelope } from '../../src/recordings/crypto/index.js';
import { S3ObjectStore } from '../../src/recordings/storage/index.js';
import { verifyStoredObject } from '../../src/recordings/storage/verify.js';
import { DISTINCT_FILES, THREADS, VERIFY, type Rgw } from './conditions.js';
import { deferred, wav } from './measure.js';

export type Uploads = Awaited<ReturnType<typeof openUploads>>;

/**
 * The recordings, the key, the envelopes and the bucket of one run, and the ways of putting a
 * recording there that the modes compare: plain PutObject, encrypt then PUT (the pipeline's
 * workers), and encryption apart from the uploads (encrypt-ahead, staged).
 */
export async function openUploads(rgw: Rgw, work: string) {
  const files = Array.from({ length: DISTINCT_FILES }, (_, i) => {
    const buf = wav(i + 1);
    const path = join(work, `rec-${i}.wav`);
    writeFileSync(path, buf);
    return { path, bytes: buf.length, sha256: createHash('sha256').update(buf).digest('hex') };
  });
  const keyConfig = { mode: 'local', keyFile: join(work, 'bench.key') } as const;
  const keyring = await createRecordingKeyring(keyConfig);
  // "encrypted" as the service builds it (recordings.worker.encryptionThreads, default 1), or
  // with BENCH_THREADS=0 on the main thread (where BENCH_ENCRYPTIONS=n lets n run at once).
  const mainThread = createRecordingEnvelope(keyring, process.env.BENCH_ENCRYPTIONS ? { concurrentEncryptions: Number(process.env.BENCH_ENCRYPTIONS) } : {});
  const envelope: RecordingEnvelope = THREADS > 0 ? withEncryptionThreads(mainThread, keyConfig, { threads: THREADS }) : mainThread;
  /** What the pipeline does: open the recording, encrypt it into the work dir. */
  const encryptWith = async (env: RecordingEnvelope, src: string, bytes: number, out: string, callId: string) => {
    const handle = await open(src);
    try {
      return await env.encryptOpenFile(handle, out, { callId, plaintextBytes: bytes });
    } finally {
      await handle.close();
    }
  };
  const bucket = `cl-bench-${Date.now().toString(36)}`;
  const store = new S3ObjectStore({
    bucket,
    region: rgw.region,
    endpoint: rgw.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
  const s3 = store.client;
  await s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: rgw.region as 'eu-central-1' } }));

  const plainPut = async (i: number): Promise<string> => {
    const f = files[i % DISTINCT_FILES]!;
    const key = `plain/${i}.wav`;
    // Read as the store reads its bodies (1 MiB): the baseline gets the cheaper reads too.
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: createReadStream(f.path, { highWaterMark: 1024 * 1024 }), ContentLength: f.bytes }));
    return key;
  };
  /** The pipeline's `verified` step, when BENCH_VERIFY asks for it. */
  const verified = async (key: string, expected: { bytes: number; sha256: string }): Promise<void> => {
    if (VERIFY === 'read-back') await verifyStoredObject(store, key, expected);
    else if (VERIFY === 'head') await store.head(key);
  };
  const encryptedPutWith = (env: RecordingEnvelope) => async (i: number): Promise<string> => {
    const f = files[i % DISTINCT_FILES]!;
    const key = `enc/${i}.wav.enc`;
    const encPath = join(work, `enc-${i}.wav.enc`);
    const r = await encryptWith(env, f.path, f.bytes, encPath, `bench-${i}`);
    await store.put(key, encPath, { bytes: r.ciphertextBytes, sha256: r.ciphertextSha256 });
    await verified(key, { bytes: r.ciphertextBytes, sha256: r.ciphertextSha256 });
    await unlink(encPath);
    return key;
  };

  const encryptedPut = encryptedPutWith(envelope);

  /**
   * Streamed (not yet the pipeline's path): the recording is encrypted on this thread straight into
   * the PutObject body (If-None-Match: *, exact Content-Length from the header), no ciphertext
   * file; `hashes` says which sides are hashed in that one pass.
   */
  const streamedPutWith = (hashes: Hashes, prefix: string) => async (i: number): Promise<string> => {
    const f = files[i % DISTINCT_FILES]!;
    const key = `${prefix}/${i}.wav.enc`;
    const handle = await open(f.path);
    try {
      const { result } = await mainThread.encryptOpenFileInto(handle, { callId: `bench-${i}`, plaintextBytes: f.bytes, hashes }, ({ body, bytes, messageId }) =>
        s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: bytes, ContentType: 'application/octet-stream', IfNoneMatch: '*', Metadata: { 'message-id': messageId } })),
      );
      if (!result) throw new Error(`${key}: the store declined the body (an object is already there)`);
      if (VERIFY !== 'none' && result.ciphertextSha256) await verified(key, { bytes: result.ciphertextBytes, sha256: result.ciphertextSha256 });
    } finally {
      await handle.close();
    }
    return key;
  };
  /** One SHA-256 pass (the plaintext's, which the ledger keeps), and both sides as today's ledger row holds them. */
  const streamedPut = streamedPutWith({ plaintext: true, ciphertext: false }, 'str1');
  const streamedBothPut = streamedPutWith({ plaintext: true, ciphertext: true }, 'str2');

  // Encryption apart from the uploads: `encryptors` encrypt in order, recording j starting once
  // the upload of recording j - `ahead` has started, while `uploads` upload in order. With one of
  // each and ahead 1 ("pipelined", encrypt-ahead), the encryption of recording j+1 overlaps the
  // upload of recording j: an upload queue with separate encrypt and upload stages. "Staged"
  // (BENCH_STAGED=1) keeps `conc` uploads in flight with the encryption thread(s) up to `conc + 1`
  // ahead: the best a pipeline with separate encrypt and upload workers could do.
  type Encrypted = { path: string; bytes: number; sha256: string };
  const encryptAheadRun = async (ids: number[], o: { encryptors: number; uploads: number; ahead: number; prefix: string }): Promise<string[]> => {
    const ready = ids.map(() => deferred<Encrypted>());
    const uploadStarted = ids.map(() => deferred<void>());
    let toEncrypt = 0;
    let toUpload = 0;
    const keys: string[] = [];
    const encryptor = async (): Promise<void> => {
      for (let j = toEncrypt++; j < ids.length; j = toEncrypt++) {
        if (j >= o.ahead) await uploadStarted[j - o.ahead]!.promise;
        const f = files[ids[j]! % DISTINCT_FILES]!;
        const path = join(work, `${o.prefix}-${ids[j]}.wav.enc`);
        await encryptWith(envelope, f.path, f.bytes, path, `bench-${ids[j]}`).then(
          (r) => ready[j]!.resolve({ path, bytes: r.ciphertextBytes, sha256: r.ciphertextSha256 }),
          (e: unknown) => ready[j]!.reject(e),
        );
      }
    };
    const uploader = async (): Promise<void> => {
      for (let j = toUpload++; j < ids.length; j = toUpload++) {
        const e = await ready[j]!.promise;
        uploadStarted[j]!.resolve();
        const key = `${o.prefix}/${ids[j]}.wav.enc`;
        await store.put(key, e.path, { bytes: e.bytes, sha256: e.sha256 });
        await verified(key, e);
        await unlink(e.path);
        keys.push(key);
      }
    };
    await Promise.all([...Array.from({ length: o.encryptors }, encryptor), ...Array.from({ length: o.uploads }, uploader)]);
    return keys;
  };
  const pipelinedRun = (ids: number[]): Promise<string[]> => encryptAheadRun(ids, { encryptors: 1, uploads: 1, ahead: 1, prefix: 'pipe' });
  const stagedRun = (ids: number[], conc: number): Promise<string[]> =>
    encryptAheadRun(ids, { encryptors: Math.max(1, THREADS), uploads: conc, ahead: conc + 1, prefix: 'staged' });

  return { files, keyring, mainThread, envelope, encryptWith, bucket, store, s3, plainPut, encryptedPut, streamedPut, streamedBothPut, pipelinedRun, stagedRun };
}
