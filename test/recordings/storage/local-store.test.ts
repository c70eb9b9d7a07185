import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalObjectStore, ObjectStoreError, recordingObjectKey } from '../../../src/recordings/storage/index.js';

const dir = mkdtempSync(join(tmpdir(), 'cl-local-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const CALL = '6a1f0c2b-3d4e-4f5a-8b6c-7d8e9f0a1b2c';
let n = 0;
const key = (): string =>
  recordingObjectKey({ callId: CALL, recordingId: `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`, startedAt: '2026-11-28T23:59:59Z' });
async function readAll(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('recordingObjectKey', () => {
  it('is deterministic and dated by the recording start (UTC)', () => {
    const k = recordingObjectKey({ callId: CALL, recordingId: '01JDZ8Q5X8M3V6T2B9K4N7R1PC', startedAt: new Date('2026-11-28T23:59:59Z') });
    expect(k).toBe(`recordings/2026/11/28/${CALL}/01JDZ8Q5X8M3V6T2B9K4N7R1PC.wav.enc`);
  });
  it.each(['+48601234567', '48601234567', 'jan.kowalski', '../x', 'A1F0C2B-3D4E-4F5A-8B6C-7D8E9F0A1B2C', ''])('refuses id %j', (id) => {
    expect(() => recordingObjectKey({ callId: id, recordingId: '01JDZ8Q5X8M3V6T2B9K4N7R1PC', startedAt: new Date() })).toThrow(ObjectStoreError);
  });
});

describe('local directory store', () => {
  const store = new LocalObjectStore({ root: join(dir, 'store') });

  it('put is atomic and idempotent; conflict on different content; head/get/range', async () => {
    const k = key();
    const a = randomBytes(100_000);
    const put = await store.put(k, Readable.from([a]), { bytes: a.length, sha256: sha(a) });
    expect(put).toEqual({ etag: `"${sha(a)}"`, created: true });
    expect(statSync(join(dir, 'store', k)).mode & 0o777).toBe(0o600);
    expect(await store.head(k)).toMatchObject({ bytes: a.length, sha256: sha(a) });
    expect((await store.put(k, Readable.from([a]), { bytes: a.length, sha256: sha(a) })).created).toBe(false);
    const b = randomBytes(100_000);
    await expect(store.put(k, Readable.from([b]), { bytes: b.length, sha256: sha(b) })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(sha(await readAll(await store.get(k)))).toBe(sha(a));
    expect((await readAll(await store.get(k, { start: 5, end: 9 }))).equals(a.subarray(5, 10))).toBe(true);
    expect(readdirSync(join(dir, 'store', '.tmp'))).toEqual([]); // no temp files left
  });

  it('accepts a file path body and refuses a body that does not match bytes/sha256', async () => {
    const a = randomBytes(5000);
    writeFileSync(join(dir, 'f.enc'), a);
    expect((await store.put(key(), join(dir, 'f.enc'), { bytes: a.length, sha256: sha(a) })).created).toBe(true);
    const k = key();
    await expect(store.put(k, Readable.from([a]), { bytes: a.length, sha256: sha(randomBytes(3)) })).rejects.toMatchObject({ code: 'INTEGRITY' });
    expect(await store.head(k)).toBeNull();
  });

  it('concurrent identical puts: exactly one creates', async () => {
    const k = key();
    const a = randomBytes(30_000);
    const rs = await Promise.all(Array.from({ length: 5 }, () => store.put(k, Readable.from([a]), { bytes: a.length, sha256: sha(a) })));
    expect(rs.filter((r) => r.created)).toHaveLength(1);
  });

  it('delete reports per key; retention blocks deletion', async () => {
    const k1 = key();
    const k2 = key();
    const a = Buffer.from('abc');
    await store.put(k1, Readable.from([a]), { bytes: 3, sha256: sha(a) });
    await store.put(k2, Readable.from([a]), { bytes: 3, sha256: sha(a), retainUntil: new Date(Date.now() + 3600_000) });
    const res = await store.delete([k1, k2, key()]);
    expect(res.map((r) => r.status)).toEqual(['deleted', 'locked', 'absent']);
    expect(await store.head(k1)).toBeNull();
    await expect(store.get(k1)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refuses unsafe keys and reports its location', async () => {
    await expect(store.head('../../etc/passwd')).rejects.toMatchObject({ code: 'INVALID' });
    await expect(store.head('/abs')).rejects.toMatchObject({ code: 'INVALID' });
    await expect(store.checkLocation()).resolves.toEqual({ ok: true, location: `local:${join(dir, 'store')}` });
  });
});

describe('LocalObjectStore.list (recording assurance)', () => {
  it('lists the keys under a prefix, without metadata sidecars or temp files; nothing for a prefix not there', async () => {
    const store = new LocalObjectStore({ root: join(dir, 'list') });
    const body = Buffer.from('ciphertext');
    const a = key();
    const b = key();
    for (const k of [a, b]) await store.put(k, Readable.from([body]), { bytes: body.length, sha256: sha(body) });
    expect((await store.list('recordings/2026/11/28/')).sort()).toEqual([a, b].sort());
    expect(await store.list('recordings/2026/11/29/')).toEqual([]);
    expect(readdirSync(join(dir, 'list', 'recordings/2026/11/28', CALL)).some((f) => f.endsWith('.meta.json'))).toBe(true);
    await expect(store.list('recordings')).rejects.toMatchObject({ code: 'INVALID' });
    await expect(store.list('../')).rejects.toMatchObject({ code: 'INVALID' });
  });
});
