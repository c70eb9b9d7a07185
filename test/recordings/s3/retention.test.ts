// Retention against a real S3 (Ceph RGW): Object Lock GOVERNANCE / COMPLIANCE and legal hold are
// enforced by the gateway; the sweep must report such objects as locked and never count them as
// deleted; an erasure may bypass GOVERNANCE only when the configuration allows it; store outages
// are retried and reported.
import { randomUUID } from 'node:crypto';
import { DeleteObjectCommand, GetObjectLegalHoldCommand, HeadObjectCommand, PutObjectCommand, PutObjectLegalHoldCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../../src/recordings/storage/index.js';
import { deletionEvents, dpo, insertRecording, recordingState, retentionWorld, type RetentionWorld } from '../../retention/helpers.js';
import { StoreRelay } from './pipeline-helpers.js';
import { makeBucket, rgw, s3Client, storeConfig } from './rgw.js';

let c: S3Client;
let w: RetentionWorld | null = null;
beforeAll(() => {
  c = s3Client();
});
afterAll(() => c?.destroy());
afterEach(async () => {
  await w?.close();
  w = null;
});

const T0 = '2020-01-10T08:00:00.000Z';
const future = () => new Date(Date.now() + 2 * 86_400_000);

interface Put {
  mode?: 'GOVERNANCE' | 'COMPLIANCE';
  legalHold?: boolean;
}

/** An object in the bucket and its recording row (the row does not know about the lock). */
async function recordingIn(world: RetentionWorld, bucket: string, callId: string, p: Put = {}, rowKnowsLock = false) {
  const id = randomUUID();
  const key = `recordings/2020/01/10/${id}.wav.enc`;
  const retainUntil = p.mode ? future() : undefined;
  const res = await c.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: `recording ${id}`,
      ...(p.mode ? { ObjectLockMode: p.mode, ObjectLockRetainUntilDate: retainUntil } : {}),
      ...(p.legalHold ? { ObjectLockLegalHoldStatus: 'ON' } : {}),
    }),
  );
  insertRecording(world.db, { id, callId, key, startedAt: T0, versionId: res.VersionId ?? null, store: 's3', retainUntil: rowKnowsLock && retainUntil ? retainUntil.toISOString() : null });
  return { id, key, versionId: res.VersionId!, retainUntil };
}

async function exists(bucket: string, key: string, versionId: string): Promise<boolean> {
  try {
    await c.send(new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
    return true;
  } catch (e) {
    if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
    throw e;
  }
}

describe('retention sweep on RGW with Object Lock', () => {
  it('GOVERNANCE, COMPLIANCE and legal-hold objects are reported locked and stay; plain ones are deleted by version', async () => {
    const bucket = await makeBucket({ objectLock: true });
    w = await retentionWorld({ now: '2026-01-01T00:00:00.000Z', store: () => new S3ObjectStore(storeConfig(bucket, { maxAttempts: 1 })) });
    const { callId } = await w.addCall({ startedAt: T0 }, { recording: false });
    const plain = await recordingIn(w, bucket, callId);
    const gov = await recordingIn(w, bucket, callId, { mode: 'GOVERNANCE' });
    const comp = await recordingIn(w, bucket, callId, { mode: 'COMPLIANCE' });
    const held = await recordingIn(w, bucket, callId, { legalHold: true });
    const known = await recordingIn(w, bucket, callId, { mode: 'GOVERNANCE' }, true);

    const r = await w.service({ bucket }).sweep();
    if (r.status === 'busy') throw new Error('busy');
    expect(r.recordings).toMatchObject({ due: 5, deleted: 1, locked: 4, failed: 0 });
    const locked = new Map(r.recordings.lockedItems.map((l) => [l.recordingId, l]));
    expect([...locked.keys()].sort()).toEqual([gov.id, comp.id, held.id, known.id].sort());
    expect(locked.get(gov.id)!.detail).toMatch(/AccessDenied/);
    // The row knew the retain-until date: reported with it, the store was not even asked.
    expect(locked.get(known.id)).toMatchObject({ retainUntil: known.retainUntil!.toISOString() });
    expect(await exists(bucket, plain.key, plain.versionId)).toBe(false);
    for (const x of [gov, comp, held, known]) {
      expect(await exists(bucket, x.key, x.versionId)).toBe(true);
      expect(recordingState(w.db, x.id)).toBe('done');
      expect(deletionEvents(w.db, x.id)).toBe(0);
    }
    expect(deletionEvents(w.db, plain.id)).toBe(1);

    // Lifting the legal hold lets the next sweep delete that one; the locks stay.
    await c.send(new PutObjectLegalHoldCommand({ Bucket: bucket, Key: held.key, VersionId: held.versionId, LegalHold: { Status: 'OFF' } }));
    const r2 = await w.service({ bucket }).sweep();
    if (r2.status === 'busy') throw new Error('busy');
    expect(r2.recordings).toMatchObject({ deleted: 1, locked: 3 });
    expect(await exists(bucket, held.key, held.versionId)).toBe(false);
  });

  it('an erasure bypasses GOVERNANCE only when allowed; COMPLIANCE is reported locked with its date', async () => {
    const bucket = await makeBucket({ objectLock: true });
    w = await retentionWorld({ now: '2026-01-01T00:00:00.000Z', store: () => new S3ObjectStore(storeConfig(bucket, { maxAttempts: 1 })) });
    const { callId } = await w.addCall({ startedAt: T0, number: '+48605000001' }, { recording: false });
    const gov = await recordingIn(w, bucket, callId, { mode: 'GOVERNANCE' }, true);
    const comp = await recordingIn(w, bucket, callId, { mode: 'COMPLIANCE' }, true);

    const strict = await w.service({ bucket }).erase('+48605000001', dpo('t1'));
    if (strict.status !== 'done') throw new Error('busy');
    expect(strict.certificate.notErased.locked.map((l) => l.recordingId).sort()).toEqual([gov.id, comp.id].sort());
    expect(await exists(bucket, gov.key, gov.versionId)).toBe(true);

    // The erasure left both marked: every later sweep tries them, but a sweep never bypasses a lock.
    const bypass = w.service({ bucket, options: { batchSize: 500, leaseSeconds: 60, deleteAttempts: 1, bypassGovernanceForErasure: true } });
    const gone = await bypass.sweep();
    if (gone.status === 'busy') throw new Error('busy');
    // The sweep never bypasses: both still locked.
    expect(gone.recordings).toMatchObject({ deleted: 0, locked: 2 });

    const { callId: call2 } = await w.addCall({ startedAt: T0, number: '+48605000002' }, { recording: false });
    const gov2 = await recordingIn(w, bucket, call2, { mode: 'GOVERNANCE' }, true);
    const comp2 = await recordingIn(w, bucket, call2, { mode: 'COMPLIANCE' }, true);
    const r = await bypass.erase('+48605000002', dpo('t1'));
    if (r.status !== 'done') throw new Error('busy');
    expect(r.certificate.erased.recordingIds).toEqual([gov2.id]);
    expect(r.certificate.notErased.locked).toEqual([expect.objectContaining({ recordingId: comp2.id, retainUntil: comp2.retainUntil!.toISOString() })]);
    expect(await exists(bucket, gov2.key, gov2.versionId)).toBe(false);
    expect(await exists(bucket, comp2.key, comp2.versionId)).toBe(true);
    expect((await w.evidence.verify()).ok).toBe(true);
  });
});

describe('retention sweep with the store down (relay closed)', () => {
  it('retries, reports failed without counting them deleted, and deletes them once the store is back', async () => {
    const bucket = await makeBucket();
    const relay = new StoreRelay(rgw().port);
    await relay.open();
    try {
      w = await retentionWorld({
        now: '2026-01-01T00:00:00.000Z',
        retention: { deleteAttempts: 2 },
        store: () => new S3ObjectStore(storeConfig(bucket, { endpoint: relay.endpoint, maxAttempts: 1, connectionTimeoutMs: 1000, requestTimeoutMs: 3000 })),
      });
      const { callId } = await w.addCall({ startedAt: T0 }, { recording: false });
      const items = [await recordingIn(w, bucket, callId), await recordingIn(w, bucket, callId)];
      await relay.close();
      const r = await w.service({ bucket }).sweep();
      if (r.status === 'busy') throw new Error('busy');
      expect(r.recordings).toMatchObject({ due: 2, deleted: 0, failed: 2 });
      expect(r.recordings.failedItems[0]).toMatchObject({ attempts: 2 });
      expect(r.recordings.failedItems[0]!.detail).toMatch(/UNAVAILABLE/);
      for (const x of items) {
        expect(recordingState(w.db, x.id)).toBe('done');
        expect(deletionEvents(w.db, x.id)).toBe(0);
        expect(await exists(bucket, x.key, x.versionId)).toBe(true);
      }
      await relay.open();
      const r2 = await w.service({ bucket }).sweep();
      if (r2.status === 'busy') throw new Error('busy');
      expect(r2.recordings).toMatchObject({ deleted: 2, failed: 0 });
      for (const x of items) {
        expect(deletionEvents(w.db, x.id)).toBe(1);
        expect(await exists(bucket, x.key, x.versionId)).toBe(false);
      }
    } finally {
      await relay.close();
    }
  });
});

describe('legal holds copied onto the stored objects (Object Lock legal hold)', () => {
  const options = { batchSize: 500, leaseSeconds: 60, deleteAttempts: 1, bypassGovernanceForErasure: false, mirrorHoldsToStore: true };
  const legalHold = async (bucket: string, x: { key: string; versionId: string }) =>
    (await c.send(new GetObjectLegalHoldCommand({ Bucket: bucket, Key: x.key, VersionId: x.versionId }))).LegalHold?.Status;
  const mirrored = (id: string) => (w!.db.prepare('SELECT legal_hold_mirrored AS m FROM recordings WHERE id = ?').get(id) as { m: number | null }).m;

  it('a hold sets the object’s own legal hold, so RGW refuses to delete it whoever asks; the four-eyes release clears it', async () => {
    const bucket = await makeBucket({ objectLock: true });
    w = await retentionWorld({ now: '2026-01-01T00:00:00.000Z', store: () => new S3ObjectStore(storeConfig(bucket, { maxAttempts: 1 })) });
    const { callId } = await w.addCall({ startedAt: T0 }, { recording: false });
    const held = await recordingIn(w, bucket, callId);
    const { callId: otherCall } = await w.addCall({ startedAt: T0 }, { recording: false });
    const other = await recordingIn(w, bucket, otherCall);
    const svc = w.service({ bucket, options });

    const hold = await svc.setHold({ scope: 'call', callId }, 'litigation', dpo('t1'));
    // The pass setHold started in the background did the work; this call waits for it and says so.
    expect(await svc.mirrorHolds()).toEqual({ set: 1, cleared: 0, absent: 0, failed: null });
    expect(await legalHold(bucket, held)).toBe('ON');
    expect(mirrored(held.id)).toBe(1);
    expect(mirrored(other.id)).toBeNull();
    // The gateway itself refuses, even to credentials that bypass nothing of ours.
    await expect(c.send(new DeleteObjectCommand({ Bucket: bucket, Key: held.key, VersionId: held.versionId }))).rejects.toMatchObject({ name: 'AccessDenied' });
    expect(await exists(bucket, held.key, held.versionId)).toBe(true);

    expect((await svc.releaseHold(hold.id, dpo('t1'), 'case closed')).status).toBe('requested');
    expect(await legalHold(bucket, held)).toBe('ON'); // one DPO is not enough
    expect((await svc.releaseHold(hold.id, dpo('t2'), null)).status).toBe('released');
    expect(await svc.mirrorHolds()).toEqual({ set: 0, cleared: 1, absent: 0, failed: null });
    expect(await legalHold(bucket, held)).toBe('OFF');
    expect(mirrored(held.id)).toBe(0);
    await c.send(new DeleteObjectCommand({ Bucket: bucket, Key: held.key, VersionId: held.versionId }));
    expect(await exists(bucket, held.key, held.versionId)).toBe(false);
    expect(await svc.mirrorHolds()).toEqual({ set: 0, cleared: 0, absent: 0, failed: null }); // nothing left to do
  });

  it('with the store down the copy waits; the next sweep sets it, and an object gone meanwhile is just noted', async () => {
    const bucket = await makeBucket({ objectLock: true });
    const relay = new StoreRelay(rgw().port);
    await relay.open();
    try {
      w = await retentionWorld({
        now: '2026-01-01T00:00:00.000Z',
        store: () => new S3ObjectStore(storeConfig(bucket, { endpoint: relay.endpoint, maxAttempts: 1, connectionTimeoutMs: 1000, requestTimeoutMs: 3000 })),
      });
      const { callId } = await w.addCall({ startedAt: T0, flowId: 'main' }, { recording: false });
      const a = await recordingIn(w, bucket, callId);
      const gone = await recordingIn(w, bucket, callId);
      await c.send(new DeleteObjectCommand({ Bucket: bucket, Key: gone.key, VersionId: gone.versionId }));
      const svc = w.service({ bucket, options });
      await relay.close();
      await svc.setHold({ scope: 'call', callId }, 'audit', dpo('t1'));
      const down = await svc.mirrorHolds();
      expect(down!.failed).toMatch(/UNAVAILABLE/);
      expect(mirrored(a.id)).toBeNull();
      expect(mirrored(gone.id)).toBeNull();

      await relay.open();
      const r = await svc.sweep(); // copies first; both recordings are held, so none is deleted
      if (r.status === 'busy') throw new Error('busy');
      expect(await legalHold(bucket, a)).toBe('ON');
      expect(mirrored(a.id)).toBe(1);
      expect(mirrored(gone.id)).toBe(1); // absent: nothing to hold, not asked again
      expect(await svc.mirrorHolds()).toEqual({ set: 0, cleared: 0, absent: 0, failed: null });
    } finally {
      await relay.close();
    }
  });
});
