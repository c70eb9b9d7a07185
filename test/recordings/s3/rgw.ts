import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { inject } from 'vitest';
import { S3ObjectStore, type S3StoreConfig } from '../../../src/recordings/storage/index.js';

/** What scripts/rgw/start.sh prints. */
export interface RgwInfo {
  endpoint: string;
  port: number;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  kmsKeyId: string;
  forcePathStyle: boolean;
  dir: string;
}

/** The gateway of this run, or a thrown error saying why there is none (tests fail, not skip). */
export function rgw(): RgwInfo {
  const r = inject('rgw');
  if (!r || 'error' in r) throw new Error(`no Ceph RGW for the S3 tests: ${r ? r.error : 'globalSetup did not run (use the recordings-s3 vitest project)'}`);
  return r;
}

export function s3Client(r = rgw(), secret = r.secretAccessKey): S3Client {
  return new S3Client({
    endpoint: r.endpoint,
    region: r.region,
    forcePathStyle: true,
    credentials: { accessKeyId: r.accessKeyId, secretAccessKey: secret },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

export async function makeBucket(opts: { objectLock?: boolean } = {}): Promise<string> {
  const r = rgw();
  const bucket = `cl-test-${randomBytes(5).toString('hex')}`;
  const c = s3Client(r);
  await c.send(
    new CreateBucketCommand({
      Bucket: bucket,
      CreateBucketConfiguration: { LocationConstraint: r.region as 'eu-central-1' },
      ...(opts.objectLock ? { ObjectLockEnabledForBucket: true } : {}),
    }),
  );
  c.destroy();
  return bucket;
}

export function storeConfig(bucket: string, extra: Partial<S3StoreConfig> = {}): S3StoreConfig {
  const r = rgw();
  return {
    bucket,
    region: r.region,
    endpoint: r.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: r.accessKeyId, secretAccessKey: r.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    ...extra,
  };
}

export function store(bucket: string, extra: Partial<S3StoreConfig> = {}): S3ObjectStore {
  return new S3ObjectStore(storeConfig(bucket, extra));
}
