/**
 * Source `ari`: recordings fetched from Asterisk's stored recordings over ARI (no shared disk),
 * against the ARI emulator; then the whole pipeline in that mode, with AMI for the events.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { AriFetchError, AriRecordingsClient } from '../../../src/recordings/ari-fetch/index.js';
import { AriSource } from '../../../src/recordings/pipeline/index.js';
import { AriEmulator } from '../../emulators/ari/emulator.js';
import { toneWav } from '../../emulators/ari/recordings.js';
import { dialplanRecording, eventsOf, ledgerCall, readAll, rows, waitFor, waitState, world, type World } from './helpers.js';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const REC_DIR = '/srv/pbx/recording'; // Asterisk's view (the emulator's); never a host path

let ari: AriEmulator | undefined;
let client: AriRecordingsClient | undefined;
let w: World | undefined;
let tmp: string | undefined;
afterEach(async () => {
  client?.close();
  await w?.close();
  await ari?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  ari = undefined;
  client = undefined;
  w = undefined;
  tmp = undefined;
});

async function setup(password?: string) {
  ari = await AriEmulator.start();
  client = new AriRecordingsClient({ url: ari.url, username: ari.username, password: password ?? ari.password, timeoutMs: 2000 });
  tmp = mkdtempSync(join(tmpdir(), 'cl-ari-fetch-'));
  return { ari, client, tmp };
}

describe('ARI stored-recordings client', () => {
  test('fetch streams the file to disk (complete or not at all), delete removes it, list shows it', async () => {
    const { ari, client, tmp } = await setup();
    const wav = toneWav(1500);
    ari.addStoredRecording('consentline-abc-1700000000.1', 'wav', wav);
    expect(await client.list()).toEqual([{ name: 'consentline-abc-1700000000.1', format: 'wav' }]);
    const dest = join(tmp, 'x.wav');
    const got = await client.fetchToFile('consentline-abc-1700000000.1', dest);
    expect(got).toEqual({ bytes: wav.length, sha256: sha(wav) });
    expect(sha(readFileSync(dest))).toBe(sha(wav));
    expect(await client.delete('consentline-abc-1700000000.1')).toBe('deleted');
    expect(ari.storedRecording('consentline-abc-1700000000.1')).toBeUndefined();
    expect(await client.delete('consentline-abc-1700000000.1')).toBe('absent');
    await expect(client.fetchToFile('consentline-abc-1700000000.1', join(tmp, 'y.wav'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(() => readFileSync(join(tmp, 'y.wav'))).toThrow();
    expect(() => readFileSync(join(tmp, 'y.wav.part'))).toThrow();
  });

  test('names are checked strictly before any request', async () => {
    const { ari, client, tmp } = await setup();
    const before = ari.requests.length;
    for (const name of ['', '../etc/passwd', 'a/b', '.hidden', 'x..y', 'a b', 'a%2Fb', 'a\nb', 'x'.repeat(201)]) {
      await expect(client.fetchToFile(name, join(tmp, 'z'))).rejects.toMatchObject({ code: 'INVALID_NAME' });
      await expect(client.delete(name)).rejects.toBeInstanceOf(AriFetchError);
    }
    expect(ari.requests.length).toBe(before);
  });

  test('a wrong password is AUTH; a closed port UNAVAILABLE', async () => {
    const { ari } = await setup('wrong');
    ari.addStoredRecording('r1', 'wav', toneWav(100));
    await expect(client!.list()).rejects.toMatchObject({ code: 'AUTH', status: 401 });
    const closed = new AriRecordingsClient({ url: 'http://127.0.0.1:1', username: 'u', password: 'p', timeoutMs: 500 });
    await expect(closed.list()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    closed.close();
  });
});

describe('pipeline with source ari', () => {
  test('AMI says the file closed → fetched over ARI → encrypted, stored, verified → deleted on Asterisk', async () => {
    ari = await AriEmulator.start();
    w = await world();
    client = new AriRecordingsClient({ url: ari.url, username: ari.username, password: ari.password });
    w.pipeline({ source: new AriSource({ client, recordingDir: REC_DIR }) });
    await waitFor(() => w!.watcher?.connected, 'AMI login');
    const callId = await ledgerCall(w, 'yes');
    const u = '1700000500.2';
    const file = `${REC_DIR}/consentline-${callId}-${u}.wav`;
    const call = w.emu.createLocalCall({ id: 'ari1', inboundUniqueid: u });
    w.emu.setVar(call.inbound, 'CONSENT_ID', callId);
    w.emu.setVar(call.inbound, 'CONSENT_RECORDING', 'yes');
    w.emu.startMixMonitor(call.inbound, file, 'none'); // written on the Asterisk host, not here
    await waitFor(() => rows(w!).length === 1, 'captured');
    const name = `consentline-${callId}-${u}`;
    const wav = toneWav(2000);
    ari.addStoredRecording(name, 'wav', wav);
    w.emu.hangupLocalCall(call);
    const done = await waitState(w, name, 'done');
    expect(done).toMatchObject({ source: 'ari', disposition: 'keep', plaintext_bytes: wav.length, plaintext_sha256: sha(wav) });
    expect(ari.storedRecording(name)).toBeUndefined();
    const back = await readAll(w.envelope.decryptStream(await w.objects.get(done.object_key!), { expectedCallId: callId }));
    expect(sha(back)).toBe(sha(wav));
    expect((await eventsOf(w, done.id)).map((e) => e.kind)).toEqual(['recording.started', 'recording.stopped', 'recording.stored']);
    // DELETE only after the verified upload
    const log = ari.requests.map((r) => `${r.method} ${r.path}`);
    expect(log.filter((l) => l.startsWith('DELETE'))).toHaveLength(1);
    expect(log.findIndex((l) => l.startsWith('GET') && l.endsWith('/file'))).toBeLessThan(log.findIndex((l) => l.startsWith('DELETE')));
  });

  test('a reported path outside Asterisk\'s recording dir is refused', async () => {
    ari = await AriEmulator.start();
    w = await world();
    client = new AriRecordingsClient({ url: ari.url, username: ari.username, password: ari.password });
    w.pipeline({ source: new AriSource({ client, recordingDir: REC_DIR }) });
    await waitFor(() => w!.watcher?.connected, 'AMI login');
    const callId = await ledgerCall(w, 'yes');
    // Outside REC_DIR, and in the test's own dir: nothing is ever written into the host's spool.
    const rec = dialplanRecording(w, callId, { file: join(w.dir, 'monitor', `consentline-${callId}-1.wav`) });
    rec.hangup();
    await waitFor(() => w!.sink.lines().some((l) => l['reason'] === 'outside-recording-dir'), 'refusal');
    expect(rows(w)).toEqual([]);
  });
});
