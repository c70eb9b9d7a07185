/**
 * Recording playback for the DPO: a real SQLite ledger, a local object store and recordings
 * encrypted by the real envelope; bytes checked against the plaintext, ranges, the access log
 * before the first byte, and what a client sees when a stored object was tampered with.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FRAME_LENGTH } from '../../src/recordings/crypto/index.js';
import { bearer, evidenceApp, type EvidenceApp, type TestRecordingKey } from './evidence-helpers.js';
import { noiseWav, rawGet, seedRecording, sha256 } from './recording-helpers.js';

let t: EvidenceApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function setUp(recordingKey: TestRecordingKey = 'local') {
  t = await evidenceApp({ recordingKey });
  const dpo = await t.tokens.create('Maria (DPO)', 'dpo');
  return { t, dpo: bearer(dpo.token), dpoInfo: dpo.info };
}

function accessEvents(app: EvidenceApp) {
  const rows = app.db.prepare("SELECT seq, data FROM events WHERE kind = 'access.logged' ORDER BY seq").all() as Array<{ seq: number; data: string }>;
  return rows.map((r) => ({ seq: r.seq, data: JSON.parse(r.data) as Record<string, unknown> }));
}

const audio = (id: string, reason = 'Art. 15 request #42') => `/recordings/${id}/audio?reason=${encodeURIComponent(reason)}`;

describe('GET /calls/:callId/recordings', () => {
  it("lists the call's recordings without personal data, and logs the read", async () => {
    const { t, dpo } = await setUp();
    const a = await seedRecording(t);
    const q = await seedRecording(t, { callId: a.callId, quarantine: 'id_mismatch' });
    const r = await t.app.inject({ url: `/calls/${a.callId}/recordings?reason=audit`, headers: dpo });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body.callId).toBe(a.callId);
    const byId = new Map(body.recordings.map((x: { id: string }) => [x.id, x]));
    expect(byId.get(a.row.id)).toEqual({
      id: a.row.id,
      callId: a.callId,
      state: 'done',
      stored: true,
      quarantined: false,
      quarantineReason: null,
      playable: true,
      bytes: a.wav.length,
      plaintextSha256: sha256(a.wav),
      startedAt: a.row.started_at,
      stoppedAt: a.row.stopped_at,
      createdAt: a.row.created_at,
      pausedIntervals: [],
    });
    expect(byId.get(q.row.id)).toMatchObject({ quarantined: true, quarantineReason: 'id_mismatch', playable: false });
    expect(r.body).not.toContain('600700800');
    expect(r.body).not.toContain('object_key');
    const [ev] = accessEvents(t);
    expect(ev!.data).toMatchObject({ route: 'GET /calls/:callId/recordings', callIds: [a.callId], reason: 'audit' });
    expect([...(ev!.data.recordingIds as string[])].sort()).toEqual([a.row.id, q.row.id].sort());
    // A call without recordings: an empty list.
    const none = await t.app.inject({ url: '/calls/c-none/recordings', headers: dpo });
    expect(none.json()).toEqual({ callId: 'c-none', recordings: [] });
  });
});

describe('GET /recordings/:recordingId/audio', () => {
  it('streams the decrypted WAV, identical to the plaintext; the access (who, what, why, bytes) is logged', async () => {
    const { t, dpo, dpoInfo } = await setUp();
    const rec = await seedRecording(t);
    const r = await t.app.inject({ url: audio(rec.row.id), headers: dpo });
    expect(r.statusCode, r.body.slice(0, 200)).toBe(200);
    expect(r.headers['content-type']).toBe('audio/wav');
    expect(r.headers['accept-ranges']).toBe('bytes');
    expect(r.headers['content-length']).toBe(String(rec.wav.length));
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.headers.etag).toBe(`"${sha256(rec.wav)}"`);
    expect(r.rawPayload.length).toBe(rec.wav.length);
    expect(sha256(r.rawPayload)).toBe(sha256(rec.wav));
    const events = accessEvents(t);
    expect(events).toHaveLength(1);
    expect(events[0]!.data).toEqual({
      tokenId: dpoInfo.id,
      tokenName: 'Maria (DPO)',
      role: 'dpo',
      route: 'GET /recordings/:recordingId/audio',
      callIds: [rec.callId],
      recordingIds: [rec.row.id],
      range: `bytes 0-${rec.wav.length - 1}/${rec.wav.length}`,
      reason: 'Art. 15 request #42',
    });
    expect((await t.app.inject({ url: '/ledger/verify', headers: dpo })).json()).toMatchObject({ ok: true });
  });

  it('serves single ranges over the plaintext: header, middle across frames, suffix, open-ended', async () => {
    const { t, dpo } = await setUp();
    const rec = await seedRecording(t, { wav: noiseWav(3 * FRAME_LENGTH + 12_345) });
    const n = rec.wav.length;
    const cases: Array<[string, number, number]> = [
      ['bytes=0-43', 0, 43],
      [`bytes=${FRAME_LENGTH - 100}-${2 * FRAME_LENGTH + 99}`, FRAME_LENGTH - 100, 2 * FRAME_LENGTH + 99],
      ['bytes=-1000', n - 1000, n - 1],
      [`bytes=${n - 5000}-`, n - 5000, n - 1],
      [`bytes=100000-${n + 10_000}`, 100_000, n - 1],
      [`bytes=-${n + 10}`, 0, n - 1],
      [`bytes=${n - 1}-${n - 1}`, n - 1, n - 1],
    ];
    for (const [range, start, end] of cases) {
      const r = await t.app.inject({ url: audio(rec.row.id), headers: { ...dpo, range } });
      expect(r.statusCode, range).toBe(206);
      expect(r.headers['content-range'], range).toBe(`bytes ${start}-${end}/${n}`);
      expect(r.headers['content-length'], range).toBe(String(end - start + 1));
      expect(r.headers['content-type']).toBe('audio/wav');
      expect(r.headers['accept-ranges']).toBe('bytes');
      expect(r.rawPayload.equals(rec.wav.subarray(start, end + 1)), range).toBe(true);
    }
    const header = await t.app.inject({ url: audio(rec.row.id), headers: { ...dpo, range: 'bytes=0-43' } });
    expect(header.rawPayload.subarray(0, 4).toString('ascii')).toBe('RIFF');
    expect(header.rawPayload.subarray(8, 12).toString('ascii')).toBe('WAVE');
    expect(accessEvents(t).map((e) => e.data.range)).toEqual([...cases.map(([, s, e]) => `bytes ${s}-${e}/${n}`), `bytes 0-43/${n}`]);
  });

  it('several ranges or an unreadable Range: the whole recording (200); If-Range must match the ETag', async () => {
    const { t, dpo } = await setUp();
    const rec = await seedRecording(t);
    for (const range of ['bytes=0-9,20-29', 'bytes=10-5', 'items=0-9', 'bytes=abc', 'bytes=']) {
      const r = await t.app.inject({ url: audio(rec.row.id), headers: { ...dpo, range } });
      expect(r.statusCode, range).toBe(200);
      expect(r.headers['content-range'], range).toBeUndefined();
      expect(sha256(r.rawPayload), range).toBe(sha256(rec.wav));
    }
    const etag = `"${sha256(rec.wav)}"`;
    const same = await t.app.inject({ url: audio(rec.row.id), headers: { ...dpo, range: 'bytes=0-43', 'if-range': etag } });
    expect(same.statusCode).toBe(206);
    const other = await t.app.inject({ url: audio(rec.row.id), headers: { ...dpo, range: 'bytes=0-43', 'if-range': '"something-else"' } });
    expect(other.statusCode).toBe(200);
    expect(other.rawPayload.length).toBe(rec.wav.length);
  });

  it('a range outside the recording: 416 with Content-Range bytes */N, nothing logged or served', async () => {
    const { t, dpo } = await setUp();
    const rec = await seedRecording(t);
    const n = rec.wav.length;
    for (const range of [`bytes=${n}-`, `bytes=${n + 5}-${n + 10}`, 'bytes=-0']) {
      const r = await t.app.inject({ url: audio(rec.row.id), headers: { ...dpo, range } });
      expect(r.statusCode, range).toBe(416);
      expect(r.headers['content-range']).toBe(`bytes */${n}`);
      expect(r.json().error).toBe('range_not_satisfiable');
    }
    expect(accessEvents(t)).toHaveLength(0);
  });

  it('a reason is required: missing, blank or too long is a 400 naming the field', async () => {
    const { t, dpo } = await setUp();
    const rec = await seedRecording(t);
    for (const url of [`/recordings/${rec.row.id}/audio`, audio(rec.row.id, '   '), audio(rec.row.id, 'x'.repeat(501))]) {
      const r = await t.app.inject({ url, headers: dpo });
      expect(r.statusCode, url.slice(0, 80)).toBe(400);
      expect(r.json().error).toBe('bad_request');
      expect(r.json().message).toContain('reason');
      expect(r.json().issues.map((i: { field: string }) => i.field)).toContain('querystring.reason');
    }
    expect((await t.app.inject({ url: audio(rec.row.id, 'x'.repeat(500)), headers: dpo })).statusCode).toBe(200);
    expect(accessEvents(t)).toHaveLength(1);
  });

  it('dpo and admin only: auditor 403, no token 401; unknown id 404, malformed id 400', async () => {
    const { t, dpo } = await setUp();
    const rec = await seedRecording(t);
    expect((await t.app.inject({ url: audio(rec.row.id) })).statusCode).toBe(401);
    expect((await t.app.inject({ url: audio(rec.row.id), headers: bearer(await t.issue('auditor')) })).statusCode).toBe(403);
    expect((await t.app.inject({ url: `/calls/${rec.callId}/recordings`, headers: bearer(await t.issue('auditor')) })).statusCode).toBe(403);
    expect((await t.app.inject({ url: audio(rec.row.id), headers: bearer(await t.issue('admin')) })).statusCode).toBe(200);
    const unknown = await t.app.inject({ url: audio('0b7e1a2c-3d4e-4f5a-8b6c-7d8e9f0a1b2c'), headers: dpo });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error).toBe('not_found');
    const malformed = await t.app.inject({ url: audio('not-a-recording-id'), headers: dpo });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().message).toContain('params.recordingId');
    // HEAD is not offered (it would log an access and decrypt for nothing).
    expect((await t.app.inject({ method: 'HEAD', url: audio(rec.row.id), headers: dpo })).statusCode).toBe(404);
    // Only the admin's playback was logged.
    expect(accessEvents(t)).toHaveLength(1);
  });

  it('the access event is durable before the object is even read, and before the response starts', async () => {
    const { t, dpo } = await setUp();
    const rec = await seedRecording(t);
    const seen: number[] = [];
    const get = t.objects.get.bind(t.objects);
    vi.spyOn(t.objects, 'get').mockImplementation(async (key, range) => {
      seen.push(accessEvents(t).length);
      return get(key, range);
    });
    const url = await t.app.listen({ host: '127.0.0.1', port: 0 });
    const r = await rawGet(`${url}${audio(rec.row.id)}`, dpo, () => accessEvents(t));
    expect(seen).toEqual([1]);
    expect(r.atHeaders).toHaveLength(1);
    expect((r.atHeaders as Array<{ data: Record<string, unknown> }>)[0]!.data).toMatchObject({ recordingIds: [rec.row.id], reason: 'Art. 15 request #42' });
    expect(r.status).toBe(200);
    expect(r.complete).toBe(true);
    expect(sha256(r.body)).toBe(sha256(rec.wav));
  });

  it('when the access log cannot be written: 503, no audio, the object never read', async () => {
    const { t, dpo } = await setUp();
    const rec = await seedRecording(t);
    const get = vi.spyOn(t.objects, 'get');
    t.faults.accessLog = true;
    const r = await t.app.inject({ url: audio(rec.row.id), headers: dpo });
    expect(r.statusCode).toBe(503);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    expect(r.json()).toEqual({ error: 'unavailable', message: 'the access could not be logged, so nothing was served' });
    expect(r.rawPayload.includes(Buffer.from('RIFF'))).toBe(false);
    expect(get).not.toHaveBeenCalled();
    t.faults.accessLog = false;
    expect((await t.app.inject({ url: audio(rec.row.id), headers: dpo })).statusCode).toBe(200);
  });

  it('quarantined: 409; not yet stored and verified: 409; deleted: 410; none of them logged', async () => {
    const { t, dpo } = await setUp();
    const q = await seedRecording(t, { quarantine: 'no_consent' });
    const r = await t.app.inject({ url: audio(q.row.id), headers: dpo });
    expect(r.statusCode).toBe(409);
    expect(r.json()).toMatchObject({ error: 'recording_quarantined' });
    expect(r.json().message).toMatch(/quarantined/);
    for (const state of ['spooled', 'encrypted', 'uploaded', 'failed'] as const) {
      const p = await seedRecording(t, { state });
      const x = await t.app.inject({ url: audio(p.row.id), headers: dpo });
      expect(x.statusCode, state).toBe(409);
      expect(x.json().error).toBe('recording_not_stored');
      expect(x.json().message).toContain(state);
    }
    // 'verified' (stored, local copies not yet cleaned up) plays.
    const v = await seedRecording(t, { state: 'verified' });
    expect((await t.app.inject({ url: audio(v.row.id), headers: dpo })).statusCode).toBe(200);
    const d = await seedRecording(t, { state: 'deleted' });
    const gone = await t.app.inject({ url: audio(d.row.id), headers: dpo });
    expect(gone.statusCode).toBe(410);
    expect(gone.json().error).toBe('recording_deleted');
    expect(accessEvents(t)).toHaveLength(1);
  });

  it('a tampered later frame: the headers went out, so the connection is cut; never a full body', async () => {
    const { t, dpo } = await setUp();
    const rec = await seedRecording(t, { wav: noiseWav(3 * FRAME_LENGTH) });
    const bad = readFileSync(rec.objectPath);
    bad[bad.length - 100]! ^= 1;
    writeFileSync(rec.objectPath, bad);
    const url = await t.app.listen({ host: '127.0.0.1', port: 0 });
    const r = await rawGet(`${url}${audio(rec.row.id)}`, dpo);
    expect(r.status).toBe(200);
    expect(r.headers['content-length']).toBe(String(rec.wav.length));
    expect(r.complete).toBe(false);
    expect(r.body.length).toBeLessThan(rec.wav.length);
    expect(sha256(r.body)).not.toBe(sha256(rec.wav));
    // What did arrive is authenticated plaintext: a prefix of the recording, never garbage.
    expect(r.body.equals(rec.wav.subarray(0, r.body.length))).toBe(true);
    // A range wholly in the intact frames is still served (those frames authenticate).
    const head = await t.app.inject({ url: audio(rec.row.id), headers: { ...dpo, range: 'bytes=0-43' } });
    expect(head.statusCode).toBe(206);
    expect(head.rawPayload.equals(rec.wav.subarray(0, 44))).toBe(true);
    // A range past the tampered frame reaches it before its first byte: a clean error, no audio headers.
    const tail = await rawGet(`${url}${audio(rec.row.id)}`, { ...dpo, range: 'bytes=-10' });
    expect(tail.status).toBe(500);
    expect(tail.headers['content-type']).toMatch(/^application\/json/);
    expect(tail.headers['content-range']).toBeUndefined();
    expect(tail.headers['content-disposition']).toBeUndefined();
    expect(JSON.parse(tail.body.toString('utf8'))).toMatchObject({ error: 'recording_unreadable' });
  });

  it('a tampered first frame or a swapped object fails before any header: a clean 500, no audio', async () => {
    const { t, dpo } = await setUp();
    const rec = await seedRecording(t);
    const other = await seedRecording(t);
    const good = readFileSync(rec.objectPath);
    const bad = Buffer.from(good);
    bad[5_000]! ^= 1;
    writeFileSync(rec.objectPath, bad);
    const r = await t.app.inject({ url: audio(rec.row.id), headers: dpo });
    expect(r.statusCode).toBe(500);
    expect(r.json()).toMatchObject({ error: 'recording_unreadable' });
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    // The other call's object under this recording's key: its encryption context does not match.
    writeFileSync(rec.objectPath, readFileSync(other.objectPath));
    const swapped = await t.app.inject({ url: audio(rec.row.id), headers: dpo });
    expect(swapped.statusCode).toBe(500);
    expect(swapped.json().error).toBe('recording_unreadable');
    expect(swapped.body).not.toContain(other.callId);
  });

  it('a stored object that decrypts but is not what was recorded (length/hash) is cut before its last chunk', async () => {
    const { t, dpo } = await setUp();
    const rec = await seedRecording(t);
    t.db.prepare('UPDATE recordings SET plaintext_sha256 = ? WHERE id = ?').run('0'.repeat(64), rec.row.id);
    const url = await t.app.listen({ host: '127.0.0.1', port: 0 });
    const r = await rawGet(`${url}${audio(rec.row.id)}`, dpo);
    expect(r.complete).toBe(false);
    expect(r.body.length).toBeLessThan(rec.wav.length);
  });

  it('a missing object: 410, and the store error is not shown', async () => {
    const { t, dpo } = await setUp();
    const rec = await seedRecording(t);
    await t.objects.delete([rec.row.object_key!]);
    const r = await t.app.inject({ url: audio(rec.row.id), headers: dpo });
    expect(r.statusCode).toBe(410);
    expect(r.body).not.toContain(rec.row.object_key!);
  });

  for (const key of ['rsa-public', 'none'] as const) {
    it(`a host without the decrypting key (${key}): 409 no_decrypt_key, clearly, nothing logged`, async () => {
      const { t, dpo } = await setUp(key);
      const rec = key === 'none' ? null : await seedRecording(t);
      const id = rec?.row.id ?? (await seedWithOtherKey(t));
      const r = await t.app.inject({ url: audio(id), headers: dpo });
      expect(r.statusCode).toBe(409);
      expect(r.json()).toEqual({ error: 'no_decrypt_key', message: 'this host holds no decrypting key for recordings; playback happens where the private key is configured' });
      expect(accessEvents(t)).toHaveLength(0);
    });
  }
});

/** A row for an app without an envelope: encrypted by another app's key (the row is all the route reads first). */
async function seedWithOtherKey(target: EvidenceApp): Promise<string> {
  const other = await evidenceApp();
  try {
    const rec = await seedRecording(other);
    const cols = Object.keys(rec.row);
    target.db.prepare(`INSERT INTO recordings (${cols.join(', ')}) VALUES (${cols.map((c) => `@${c}`).join(', ')})`).run(rec.row);
    return rec.row.id;
  } finally {
    await other.close();
  }
}
