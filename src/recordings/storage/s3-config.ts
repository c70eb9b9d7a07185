import { S3Client } from '@aws-sdk/client-s3';
import type { Logger } from '../../shared/log.js';
import { ObjectStoreError } from './errors.js';
import { EU_REGIONS, regionRefusal } from './regions.js';

export interface S3StoreConfig {
  readonly bucket: string;
  readonly region: string;
  /** S3-compatible endpoint (e.g. http://127.0.0.1:7480); omit for AWS. */
  readonly endpoint?: string;
  readonly forcePathStyle?: boolean;
  /** Omit to use the SDK's default provider chain (env, profile, instance role). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
  /** Regions the bucket may be in. Default: EU_REGIONS (see regions.ts for what is left out and why). */
  readonly allowedRegions?: readonly string[];
  /**
   * 'WHEN_REQUIRED' for providers that reject the SDK's default CRC32 / aws-chunked uploads
   * (Ceph RGW answers 411 MissingContentLength to streamed bodies otherwise).
   */
  readonly requestChecksumCalculation?: 'WHEN_SUPPORTED' | 'WHEN_REQUIRED';
  /** Send our SHA-256 as x-amz-checksum-sha256 so AWS checks the body server-side. Default true. */
  readonly sha256ChecksumHeader?: boolean;
  /** Use `If-None-Match: *` on PutObject. Default true; false = head-before-write. */
  readonly conditionalWrites?: boolean;
  /** Bodies above this go multipart (lib-storage Upload). Default 64 MiB. */
  readonly multipartThresholdBytes?: number;
  /** Default 16 MiB (≥ 5 MiB). */
  readonly partSizeBytes?: number;
  /** Parts in flight per multipart upload. Default 2. */
  readonly multipartQueueSize?: number;
  /** SSE-KMS key id/ARN: the provider encrypts again at rest under this key. */
  readonly sseKmsKeyId?: string;
  /** Object Lock for puts that carry `retainUntil`; the bucket must have Object Lock enabled. */
  readonly objectLock?: { readonly mode: 'GOVERNANCE' | 'COMPLIANCE' };
  readonly connectionTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  readonly maxAttempts?: number;
}


/** The configuration with its defaults filled in, checked. */
export type ResolvedS3Config = Readonly<
  Required<Pick<S3StoreConfig, 'bucket' | 'region' | 'conditionalWrites' | 'multipartThresholdBytes' | 'partSizeBytes' | 'multipartQueueSize' | 'sha256ChecksumHeader'>>
> &
  S3StoreConfig & { readonly allowed: readonly string[] };

/** Refuses a region outside the allow-list, a missing bucket and a part size S3 does not accept. */
export function resolveS3Config(config: S3StoreConfig): ResolvedS3Config {
  const allowed = Object.freeze([...(config.allowedRegions ?? EU_REGIONS)]);
  const refusal = regionRefusal(config.region, allowed);
  if (refusal) throw new ObjectStoreError('LOCATION', `S3 store: ${refusal}`);
  if (!config.bucket) throw new ObjectStoreError('INVALID', 'S3 store: bucket is required');
  const partSizeBytes = config.partSizeBytes ?? 16 * 1024 * 1024;
  if (partSizeBytes < 5 * 1024 * 1024) throw new ObjectStoreError('INVALID', 'S3 store: partSizeBytes must be ≥ 5 MiB');
  return Object.freeze({
    ...config,
    allowed,
    conditionalWrites: config.conditionalWrites ?? true,
    multipartThresholdBytes: config.multipartThresholdBytes ?? 64 * 1024 * 1024,
    partSizeBytes,
    multipartQueueSize: config.multipartQueueSize ?? 2,
    sha256ChecksumHeader: config.sha256ChecksumHeader ?? true,
  });
}

export function createS3Client(config: S3StoreConfig, log: Logger | undefined): S3Client {
  return new S3Client({
    region: config.region,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    forcePathStyle: config.forcePathStyle ?? false,
    ...(config.credentials ? { credentials: { ...config.credentials } } : {}),
    requestChecksumCalculation: config.requestChecksumCalculation ?? 'WHEN_SUPPORTED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: config.maxAttempts ?? 3,
    // Without a logger the SDK warns on the console for every failed streamed put, including
    // the expected 412 of a conditional re-put.
    logger: {
      trace: () => {},
      debug: () => {},
      info: () => {},
      warn: (...args: unknown[]) => log?.debug({ sdk: args.map(String) }, 'S3 SDK warning'),
      error: (...args: unknown[]) => log?.warn({ sdk: args.map(String) }, 'S3 SDK error'),
    },
    requestHandler: {
      connectionTimeout: config.connectionTimeoutMs ?? 5_000,
      requestTimeout: config.requestTimeoutMs ?? 120_000,
    },
  });
}
