/**
 * Playback through the composition root: startService wires the routes to the pipeline's object
 * store, this host's key and the ledger, over a real socket.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteTokenStore } from '../../src/api/tokens.js';
import { openSqlite, type SqliteDatabase } from '../../src/db/sqlite.js';
import { databaseTarget } from '../../src/evidence/open-store.js';
import type { SqliteEvidenceStore } from '../../src/evidence/sqlite-store.js';
import { openRecordingEnvelope } from '../../src/recordings/pipeline/build.js';
import { RecordingRepo } from '../../src/recordings/pipeline/repo.js';
import { startScenario } from '../scenarios/harness.js';
import { noiseWav, seedRecording, sha256 } from './recording-helpers.js';

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

describe('recording playback in the running service', () => {
  it('plays a stored recording with a range, and the access is in the service ledger', async () => {
    const s = await startScenario();
    const target = databaseTarget(s.config);
    if (target.kind !== 'sqlite') throw new Error('the scenario runs on SQLite');
    const path = target.path;
    let db: SqliteDatabase | undefined;
    stop = async () => {
      db?.close();
      await s.stop();
    };
    db = openSqlite({ path }).db;
    const dataDir = s.config.service.dataDir;
    const rec = await seedRecording(
      {
        envelope: await openRecordingEnvelope(s.config.recordings, dataDir, { generate: false }),
        dir: dataDir,
        objects: s.service.recordings!.store,
        recordings: new RecordingRepo(db),
        store: s.service.store as SqliteEvidenceStore,
      },
      { wav: noiseWav(100_000), callInLedger: false },
    );
    const { token } = await new SqliteTokenStore(db).create('dpo', 'dpo');
    const url = `${s.service.apiUrl}/recordings/${rec.row.id}/audio?reason=service%20test`;
    const whole = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    expect(whole.status).toBe(200);
    expect(sha256(Buffer.from(await whole.arrayBuffer()))).toBe(sha256(rec.wav));
    const head = await fetch(url, { headers: { authorization: `Bearer ${token}`, range: 'bytes=0-43' } });
    expect(head.status).toBe(206);
    expect(head.headers.get('content-range')).toBe(`bytes 0-43/${rec.wav.length}`);
    expect(Buffer.from(await head.arrayBuffer()).equals(rec.wav.subarray(0, 44))).toBe(true);
    const list = await fetch(`${s.service.apiUrl}/calls/${rec.callId}/recordings`, { headers: { authorization: `Bearer ${token}` } });
    expect(((await list.json()) as { recordings: Array<{ id: string }> }).recordings.map((r: { id: string }) => r.id)).toEqual([rec.row.id]);
    const logged = [];
    for await (const e of s.service.store.events()) if (e.kind === 'access.logged') logged.push(e.data);
    expect(logged.map((d) => [d.route, d.range ?? null])).toEqual([
      ['GET /recordings/:recordingId/audio', `bytes 0-${rec.wav.length - 1}/${rec.wav.length}`],
      ['GET /recordings/:recordingId/audio', `bytes 0-43/${rec.wav.length}`],
      ['GET /calls/:callId/recordings', null],
    ]);
  });
});
