import type { Readable } from 'node:stream';

export interface PutOptions {
  /** Exact length of the body. */
  readonly bytes: number;
  /** Hex SHA-256 of the body; stored as object metadata and compared on conflicts. */
  readonly sha256: string;
  /** Object Lock retain-until (S3 with objectLock configured) or local retention. */
  readonly retainUntil?: Date;
}

/** A put of a body made while it is sent: only its length is known before. */
export interface StreamPutOptions {
  /** Exact length of the body. */
  readonly bytes: number;
  /** Stored as object metadata (S3: x-amz-meta-*); names and values in lowercase ASCII. */
  readonly metadata?: Readonly<Record<string, string>>;
  readonly retainUntil?: Date;
}

export type StreamPutResult =
  | { readonly status: 'created'; readonly etag: string; readonly versionId?: string }
  /** Something is already stored under the key: nothing was written, the body was destroyed. */
  | { readonly status: 'exists'; readonly existing: HeadResult };

export interface PutResult {
  readonly etag: string;
  readonly versionId?: string;
  /** false when an identical object (same sha256) was already there: the put was a no-op. */
  readonly created: boolean;
}

export interface HeadResult {
  readonly bytes: number;
  /** From object metadata; null for objects written by something else. */
  readonly sha256: string | null;
  readonly etag?: string;
  readonly versionId?: string;
}

/** Inclusive byte range, as in HTTP. `end` omitted = to the end. */
export interface ByteRange {
  readonly start: number;
  readonly end?: number;
}

export type DeleteTarget = string | { readonly key: string; readonly versionId: string };

export type DeleteResult =
  | { readonly key: string; readonly versionId?: string; readonly status: 'deleted' }
  | { readonly key: string; readonly versionId?: string; readonly status: 'absent' }
  | { readonly key: string; readonly versionId?: string; readonly status: 'locked'; readonly detail: string }
  | { readonly key: string; readonly versionId?: string; readonly status: 'failed'; readonly detail: string };

export type LocationCheck =
  | { readonly ok: true; readonly location: string }
  | { readonly ok: false; readonly location: string | null; readonly reason: string };

/**
 * Where encrypted recordings are kept. Implementations: S3 (any S3-compatible service in an
 * allowed region) and a local directory (embedded default). Failures throw ObjectStoreError.
 */
export interface ObjectStore {
  readonly kind: 's3' | 'local';
  /** Idempotent: same key + same sha256 again → `created: false`; different sha256 → CONFLICT. */
  put(key: string, body: string | Readable, opts: PutOptions): Promise<PutResult>;
  /**
   * Conditional put of a streamed body (nothing known of it before but its length): never
   * overwrites; an object already there comes back as `exists`, for the caller to judge. Only
   * stores that have one implement it (S3).
   */
  putStream?(key: string, body: Readable, opts: StreamPutOptions): Promise<StreamPutResult>;
  head(key: string): Promise<HeadResult | null>;
  get(key: string, range?: ByteRange): Promise<Readable>;
  /**
   * Deletes in batches, one result per target (per version with `allVersions`). A plain key in a
   * versioned bucket only gets a delete marker; erasure should pass `allVersions: true`.
   */
  delete(targets: readonly DeleteTarget[], opts?: { allVersions?: boolean }): Promise<DeleteResult[]>;
  /**
   * Sets or clears the object's own legal hold (S3 Object Lock; the bucket must have it enabled),
   * so the store refuses to delete it whoever asks. `absent` when there is no such object. Only
   * stores that have one implement it.
   */
  setLegalHold?(target: { readonly key: string; readonly versionId?: string | null }, on: boolean): Promise<'set' | 'absent'>;
  /**
   * The keys under `prefix` (a "/"-ended key prefix), in no particular order. Recording
   * assurance uses it to find objects that no pipeline row put there.
   */
  list?(prefix: string): Promise<string[]>;
  /** Start-up check that the store is where the configuration says (S3: bucket region). */
  checkLocation(): Promise<LocationCheck>;
  close(): Promise<void>;
}
