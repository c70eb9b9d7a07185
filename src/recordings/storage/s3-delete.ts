import { DeleteObjectsCommand, ListObjectVersionsCommand, type ObjectIdentifier, type S3Client } from '@aws-sdk/client-s3';
import { assertValidKey } from './keys.js';
import type { DeleteResult, DeleteTarget } from './port.js';
import { toStoreError } from './s3-errors.js';

/** {@link ObjectStore.delete} on S3: DeleteObjects in batches of 1000, each key's outcome reported. */
export async function deleteObjects(
  s3: S3Client,
  bucket: string,
  targets: readonly DeleteTarget[],
  opts: { allVersions?: boolean },
): Promise<DeleteResult[]> {
  const ids: ObjectIdentifier[] = [];
  for (const t of targets) {
    const key = typeof t === 'string' ? t : t.key;
    assertValidKey(key);
    if (typeof t !== 'string') ids.push({ Key: t.key, VersionId: t.versionId });
    else if (opts.allVersions) ids.push(...(await versionsOf(s3, bucket, key)));
    else ids.push({ Key: key });
  }
  const results: DeleteResult[] = [];
  if (opts.allVersions) {
    // keys without any version are reported as absent
    for (const t of targets) {
      if (typeof t === 'string' && !ids.some((i) => i.Key === t)) results.push({ key: t, status: 'absent' });
    }
  }
  for (let i = 0; i < ids.length; i += 1000) {
    const batch = ids.slice(i, i + 1000);
    let res;
    try {
      res = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch, Quiet: false } }));
    } catch (e) {
      throw toStoreError(e, `delete ${batch.length} objects`);
    }
    for (const d of res.Deleted ?? []) {
      results.push({ key: d.Key ?? '', ...(d.VersionId ? { versionId: d.VersionId } : {}), status: 'deleted' });
    }
    for (const er of res.Errors ?? []) {
      const base = { key: er.Key ?? '', ...(er.VersionId ? { versionId: er.VersionId } : {}) };
      const detail = [er.Code, er.Message].filter(Boolean).join(': ');
      // Object Lock refusals come back as AccessDenied per key.
      if (er.Code === 'AccessDenied' || er.Code === 'ObjectLocked') results.push({ ...base, status: 'locked', detail });
      else if (er.Code === 'NoSuchKey' || er.Code === 'NoSuchVersion') results.push({ ...base, status: 'absent' });
      else results.push({ ...base, status: 'failed', detail });
    }
  }
  return results;
}

/** Every version and delete marker of exactly `key`. */
async function versionsOf(s3: S3Client, bucket: string, key: string): Promise<ObjectIdentifier[]> {
  const out: ObjectIdentifier[] = [];
  let KeyMarker: string | undefined;
  let VersionIdMarker: string | undefined;
  try {
    for (;;) {
      const res = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key, KeyMarker, VersionIdMarker }));
      for (const v of [...(res.Versions ?? []), ...(res.DeleteMarkers ?? [])]) {
        if (v.Key === key) out.push({ Key: key, ...(v.VersionId ? { VersionId: v.VersionId } : {}) });
      }
      if (!res.IsTruncated) break;
      KeyMarker = res.NextKeyMarker;
      VersionIdMarker = res.NextVersionIdMarker;
    }
  } catch (e) {
    throw toStoreError(e, `list versions of ${key}`);
  }
  return out;
}
