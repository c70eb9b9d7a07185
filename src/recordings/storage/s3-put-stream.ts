import type { Readable } from 'node:stream';
import { PutObjectCommand, type PutObjectCommandInput, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { ObjectStoreError } from './errors.js';
import type { HeadResult, StreamPutOptions, StreamPutResult } from './port.js';
import type { ResolvedS3Config } from './s3-config.js';
import { isPreconditionFailed, toStoreError } from './s3-errors.js';

/**
 * A body made while it is sent (an encryption streaming into the upload), so nothing about it but
 * its length is known before: no SHA-256 metadata, no checksum header. The put is conditional and
 * never overwrites. PutObject carries `If-None-Match: *`; above the multipart threshold (or with
 * conditional writes off) the key is looked up first, because RGW ignores If-None-Match on
 * CompleteMultipartUpload (the window between the look-up and the completion is accepted: the key
 * is the recording's own). An object already there is never compared here (there is nothing to
 * compare it with): it comes back as `exists`, and the body is destroyed unread.
 */
export async function putStream(
  s3: S3Client,
  cfg: ResolvedS3Config,
  head: (key: string) => Promise<HeadResult | null>,
  key: string,
  body: Readable,
  opts: StreamPutOptions,
): Promise<StreamPutResult> {
  if (opts.retainUntil && !cfg.objectLock) throw new ObjectStoreError('INVALID', 'retainUntil given but the S3 store has no objectLock mode configured');
  const multipart = opts.bytes > cfg.multipartThresholdBytes;
  if (multipart || !cfg.conditionalWrites) {
    const existing = await head(key);
    if (existing) {
      body.destroy();
      return { status: 'exists', existing };
    }
  }
  const params: PutObjectCommandInput = {
    Bucket: cfg.bucket,
    Key: key,
    Body: body,
    ContentType: 'application/octet-stream',
    ...(opts.metadata ? { Metadata: { ...opts.metadata } } : {}),
    ...(cfg.sseKmsKeyId ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: cfg.sseKmsKeyId } : {}),
    ...(opts.retainUntil && cfg.objectLock ? { ObjectLockMode: cfg.objectLock.mode, ObjectLockRetainUntilDate: opts.retainUntil } : {}),
  };
  if (multipart) return putMultipart(s3, cfg, head, key, params, opts.bytes);
  // A body that ends early (its maker failed) must end the request: the SDK pipes the body into the
  // socket, and a request short of its Content-Length would otherwise wait for its timeout.
  const abort = new AbortController();
  body.once('close', () => {
    if (!body.readableEnded) abort.abort(new Error('the body ended before all of it was sent'));
  });
  try {
    const res = await s3.send(new PutObjectCommand({ ...params, ContentLength: opts.bytes, ...(cfg.conditionalWrites ? { IfNoneMatch: '*' } : {}) }), {
      abortSignal: abort.signal,
    });
    return { status: 'created', etag: res.ETag ?? '', ...(res.VersionId ? { versionId: res.VersionId } : {}) };
  } catch (e) {
    body.destroy();
    if (cfg.conditionalWrites && isPreconditionFailed(e)) {
      const existing = await head(key);
      if (!existing) throw new ObjectStoreError('CONFLICT', `put ${key}: precondition failed but no object found (concurrent write?); retry`, { cause: e });
      return { status: 'exists', existing };
    }
    throw toStoreError(e, `put ${key}`);
  }
}

async function putMultipart(
  s3: S3Client,
  cfg: ResolvedS3Config,
  head: (key: string) => Promise<HeadResult | null>,
  key: string,
  params: PutObjectCommandInput,
  bytes: number,
): Promise<StreamPutResult> {
  // Parts are gathered in memory: partSizeBytes × (multipartQueueSize + 1) per upload at most.
  const upload = new Upload({ client: s3, params, partSize: cfg.partSizeBytes, queueSize: cfg.multipartQueueSize, leavePartsOnError: false });
  try {
    await upload.done();
  } catch (e) {
    (params.Body as Readable).destroy();
    throw toStoreError(e, `multipart put ${key}`);
  }
  // RGW answers CompleteMultipartUpload with an empty ETag: read the real one back, and the length.
  const stored = await head(key);
  if (!stored) throw new ObjectStoreError('INTEGRITY', `multipart put ${key}: object missing after upload`);
  if (stored.bytes !== bytes) throw new ObjectStoreError('INTEGRITY', `multipart put ${key}: stored ${stored.bytes} bytes, expected ${bytes}`);
  return { status: 'created', etag: stored.etag ?? '', ...(stored.versionId ? { versionId: stored.versionId } : {}) };
}
