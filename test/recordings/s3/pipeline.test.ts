/**
 * The recordings pipeline against a real S3 (Ceph RGW on loopback): a store outage and its end,
 * Object Lock retention, a wrong secret.
 */
import { existsSync } from 'node:fs';
import { GetObjectRetentionCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { S3ObjectStore, verifyStoredObject } from '../../../src/recordings/storage/index.js';
import { toneWav } from '../../emulators/ami/index.js';
import { eventsOf, ledgerCall, readAll, rowBySource, sha256, waitFor, waitState, world, type World } from '../pipeline/helpers.js';
import { spoolFile, StoreRelay } from './pipeline-helpers.js';
import { makeBucket, rgw, s3Client, storeConfig } from './rgw.js';

let w: World | undefined;
let relay: StoreRelay | undefined;
afterEach(async () => {
  await w?.close();
  await relay?.close();
  w = undefined;
  relay = undefined;
});

let bucket: string;
beforeAll(async () => {
  bucket = await makeBucket();
});

const S3_INFO = () => ({ store: 's3' as const, bucket, region: rgw().region });

async function keysIn(b: string, prefix = ''): Promise<string[]> {
  const c = s3Client();
  const res = await c.send(new ListObjectsV2Command({ Bucket: b, Prefix: prefix }));
  c.destroy();
  return (res.Contents ?? []).map((o) => o.Key!);
}

describe('pipeline on RGW', () => {
  test('store down: files stay spooled/encrypted, the queue grows, a log line and upload_failed; store back: each uploaded exactly once', async () => {
    w = await world();
    relay = new StoreRelay(rgw().port);
    await relay.open();
    const endpoint = relay.endpoint;
    await relay.close(); // connection refused from now on
    const store = new S3ObjectStore(storeConfig(bucket, { endpoint, maxAttempts: 1, connectionTimeoutMs: 500 }));
    const p = w.pipeline({ store, watcher: false, options: { settleMs: 0, storeInfo: S3_INFO(), maxBackoffMs: 300 } });
    const files: { callId: string; name: string; path: string }[] = [];
    for (let i = 0; i < 3; i++) {
      const callId = await ledgerCall(w, 'yes');
      files.push({ callId, ...spoolFile(w.spoolDir, callId, `17000000${i}.1`, toneWav(0.5 + i)) });
    }
    await p.scanNow();
    await waitFor(() => files.every((f) => (rowBySource(w!, f.name)?.attempts ?? 0) >= 2), 'failed upload attempts');
    expect(p.queueStats().depth).toBe(3);
    expect(p.queueStats().oldestAgeSeconds).toBeGreaterThanOrEqual(0);
    expect(p.storageHealth).toMatchObject({ status: 'down', code: 'UNAVAILABLE' });
    expect(files.every((f) => existsSync(f.path))).toBe(true);
    expect(w.sink.lines().some((l) => l['msg'] === 'object store failing: recordings wait in the queue (spool files are kept)')).toBe(true);
    for (const f of files) expect(rowBySource(w, f.name)).toMatchObject({ state: 'encrypted', last_error: 'UNAVAILABLE' });
    const failed = (await eventsOf(w, rowBySource(w, files[0]!.name)!.id)).filter((e) => e.kind === 'recording.upload_failed');
    expect(failed.length).toBeGreaterThanOrEqual(1);
    expect(failed[0]!.data).toMatchObject({ attempt: 1, code: 'UNAVAILABLE' });

    await relay.open(); // same port
    for (const f of files) await waitState(w, f.name, 'done', 15_000);
    expect(p.queueStats().depth).toBe(0);
    expect(p.storageHealth).toEqual({ status: 'up' });
    expect(w.sink.lines().some((l) => l['msg'] === 'object store reachable again; draining the recordings queue')).toBe(true);
    for (const f of files) {
      const row = rowBySource(w, f.name)!;
      expect(await keysIn(bucket, `recordings/${row.started_at.slice(0, 10).replaceAll('-', '/')}/${f.callId}/`)).toEqual([row.object_key]);
      await verifyStoredObject(store, row.object_key!, { bytes: row.ciphertext_bytes!, sha256: row.ciphertext_sha256! });
      const kinds = (await eventsOf(w, row.id)).map((e) => e.kind);
      expect(kinds.filter((k) => k === 'recording.stored')).toHaveLength(1);
      expect(existsSync(f.path)).toBe(false);
      const stored = (await eventsOf(w, row.id)).find((e) => e.kind === 'recording.stored')!;
      expect(stored.data).toMatchObject({ store: 's3', bucket, region: rgw().region, key: row.object_key });
    }
    await store.close();
  });

  test('Object Lock: kept recordings get their retain-until date; quarantined ones none', async () => {
    w = await world();
    const locked = await makeBucket({ objectLock: true });
    const store = new S3ObjectStore(storeConfig(locked, { objectLock: { mode: 'GOVERNANCE' } }));
    w.pipeline({ store, watcher: false, options: { settleMs: 0, retainDays: 3, storeInfo: { store: 's3', bucket: locked, region: rgw().region } } });
    const yes = await ledgerCall(w, 'yes');
    const no = await ledgerCall(w, 'no');
    const a = spoolFile(w.spoolDir, yes, '1700000100.1', toneWav(1));
    const b = spoolFile(w.spoolDir, no, '1700000101.1', toneWav(1));
    await w.current!.scanNow();
    const kept = await waitState(w, a.name, 'done', 15_000);
    const quarantined = await waitState(w, b.name, 'done', 15_000);
    const c = s3Client();
    const ret = await c.send(new GetObjectRetentionCommand({ Bucket: locked, Key: kept.object_key! }));
    expect(ret.Retention?.Mode).toBe('GOVERNANCE');
    const expected = Date.parse(kept.started_at) + 3 * 86_400_000;
    expect(Math.abs(ret.Retention!.RetainUntilDate!.getTime() - expected)).toBeLessThan(2_000);
    expect(kept.retain_until).toBe(new Date(expected).toISOString());
    const qret = await c.send(new GetObjectRetentionCommand({ Bucket: locked, Key: quarantined.object_key! })).catch((e: unknown) => e);
    expect(qret).toMatchObject({ name: expect.stringMatching(/NoSuchObjectLockConfiguration|ObjectLockConfigurationNotFoundError|InvalidRequest/) });
    c.destroy();
    expect(quarantined.object_key).toMatch(/^quarantine\//);
    const back = await readAll(w.envelope.decryptStream(await store.get(kept.object_key!), { expectedCallId: yes }));
    expect(sha256(back)).toBe(sha256(toneWav(1)));
    await store.close();
  });

  test('wrong S3 secret: fails loudly (AUTH), the state stays, the error is recorded, the spool file is kept', async () => {
    w = await world();
    const store = new S3ObjectStore(storeConfig(bucket, { credentials: { accessKeyId: rgw().accessKeyId, secretAccessKey: 'wrong-secret-value' }, maxAttempts: 1 }));
    const p = w.pipeline({ store, watcher: false, options: { settleMs: 0, storeInfo: S3_INFO() } });
    const callId = await ledgerCall(w, 'yes');
    const f = spoolFile(w.spoolDir, callId, '1700000200.1', toneWav(1));
    await p.scanNow();
    const row = await waitFor(() => {
      const r = rowBySource(w!, f.name);
      return r && r.attempts >= 1 ? r : undefined;
    }, 'a failed attempt');
    expect(row).toMatchObject({ state: 'encrypted', last_error: 'AUTH' });
    expect(existsSync(f.path)).toBe(true);
    expect(p.storageHealth).toMatchObject({ status: 'down', code: 'AUTH' });
    const errors = w.sink.lines().filter((l) => l['level'] === 50 && l['code'] === 'AUTH');
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(w.sink.text()).not.toContain('wrong-secret-value');
    const failed = (await eventsOf(w, row.id)).filter((e) => e.kind === 'recording.upload_failed');
    expect(failed[0]!.data).toMatchObject({ attempt: 1, code: 'AUTH', step: 'encrypted' });
    expect(await keysIn(bucket, `recordings/${row.started_at.slice(0, 10).replaceAll('-', '/')}/${callId}/`)).toEqual([]);
    await store.close();
  });
});
