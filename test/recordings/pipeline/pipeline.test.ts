/**
 * The recordings pipeline on its real parts: the AMI emulator writing WAV files into a temp monitor
 * dir, the real asterisk-manager client and watcher, the SQLite ledger file, envelope encryption
 * and the local object store. Each test reads as a script: what the PBX does, what must follow.
 */
import { existsSync, readdirSync, symlinkSync, writeFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { doNotRecordLookup } from '../../../src/recordings/pipeline/do-not-record.js';
import { lookupKey } from '../../../src/evidence/subject.js';
import { toneWav } from '../../emulators/ami/index.js';
import {
  dialplanRecording,
  eventsOf,
  ledgerCall,
  movableClock,
  PEPPER,
  readAll,
  rows,
  sha256,
  waitFor,
  waitState,
  world,
  type World,
} from './helpers.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

async function connected(x: World): Promise<void> {
  await waitFor(() => x.watcher?.connected, 'AMI login');
}

describe('a consented recording', () => {
  test('captured → spooled → encrypted → uploaded → verified → done; spool file gone; ledger right; decrypts byte-identical', async () => {
    w = await world();
    const p = w.pipeline();
    await connected(w);
    const callId = await ledgerCall(w, 'yes');
    const rec = dialplanRecording(w, callId, { seconds: 2 });
    await waitFor(() => rows(w!).length === 1 && rows(w!)[0]!.state === 'captured', 'captured row');
    rec.hangup();
    const done = await waitState(w, rec.file, 'done');
    await p.whenIntakeIdle();

    expect(existsSync(rec.full)).toBe(false);
    expect(readdirSync(join(w.dataDir, 'recordings', 'work'))).toEqual([]);
    expect(done).toMatchObject({ call_id: callId, disposition: 'keep', quarantine_reason: null, found_by: 'ami', attempts: 0, stop_reason: 'hangup' });
    expect(done.object_key).toBe(`recordings/${done.started_at.slice(0, 10).replaceAll('-', '/')}/${callId}/${done.id}.wav.enc`);

    const plain = toneWav(2);
    expect(done.plaintext_bytes).toBe(plain.length);
    expect(done.plaintext_sha256).toBe(sha256(plain));
    const back = await readAll(w.envelope.decryptStream(await w.objects.get(done.object_key!), { expectedCallId: callId }));
    expect(back.length).toBe(plain.length);
    expect(sha256(back)).toBe(sha256(plain));

    const events = await eventsOf(w, done.id);
    expect(events.map((e) => e.kind)).toEqual(['recording.started', 'recording.stopped', 'recording.stored']);
    expect(events.every((e) => e.callId === callId)).toBe(true);
    expect(events[1]!.data).toMatchObject({ reason: 'hangup' });
    expect(events[2]!.data).toEqual({
      recordingId: done.id,
      store: 'local',
      region: null,
      key: done.object_key,
      plaintextSha256: sha256(plain),
      ciphertextSha256: done.ciphertext_sha256,
      bytes: done.ciphertext_bytes,
      plaintextBytes: plain.length,
      keyId: w.envelope.keyId,
      quarantine: false,
    });
    // no personal data in what the pipeline wrote or logged
    expect(JSON.stringify(events)).not.toMatch(/600100200/);
    expect(w.sink.text()).not.toMatch(/600100200/);
    expect(await w.evidence.verify()).toMatchObject({ ok: true });
  });

  test('an explicit StopMixMonitor ends it the same way', async () => {
    w = await world();
    w.pipeline();
    await connected(w);
    const callId = await ledgerCall(w, 'yes');
    const rec = dialplanRecording(w, callId);
    await waitFor(() => rows(w!).length === 1, 'captured row');
    w.emu.stopMixMonitor(rec.call.inbound);
    const done = await waitState(w, rec.file, 'done');
    expect(done.stop_reason).toBe('stopped');
    expect(existsSync(rec.full)).toBe(false);
  });
});

describe('quarantine', () => {
  test('no consent in the ledger → quarantined apart, flagged, counted; deleted after quarantineDays with recording.deleted', async () => {
    w = await world();
    const clock = movableClock();
    const p = w.pipeline({ clock });
    await connected(w);
    const callId = await ledgerCall(w, 'no');
    // the dialplan recorded anyway (a misconfigured PBX)
    const rec = dialplanRecording(w, callId, { consentRecording: 'no' });
    await waitFor(() => rows(w!).length === 1, 'captured row');
    rec.hangup();
    const done = await waitState(w, rec.file, 'done');
    expect(done).toMatchObject({ disposition: 'quarantine', quarantine_reason: 'no_consent' });
    expect(done.object_key).toMatch(/^quarantine\/\d{4}\/\d{2}\/\d{2}\/[0-9a-f-]{36}\.wav\.enc$/);
    expect(done.object_key).not.toContain(callId);
    expect(existsSync(join(w.dataDir, 'recordings', 'store', 'recordings'))).toBe(false);
    expect(await w.objects.head(done.object_key!)).not.toBeNull();
    expect(existsSync(rec.full)).toBe(false);
    expect((await w.metrics.quarantined.get()).values[0]?.value).toBe(1);
    const kinds = (await eventsOf(w, done.id)).map((e) => e.kind);
    expect(kinds).toEqual(['recording.started', 'recording.stopped', 'recording.quarantined', 'recording.stored']);
    const q = (await eventsOf(w, done.id)).find((e) => e.kind === 'recording.quarantined')!;
    expect(q.data).toMatchObject({ reason: 'no_consent', quarantineDays: 7 });

    // six days on: still there; eight: gone, and the ledger says so
    clock.advance(6 * 86_400_000);
    p.poke();
    await new Promise((r) => setTimeout(r, 150));
    expect(await w.objects.head(done.object_key!)).not.toBeNull();
    clock.advance(2 * 86_400_000);
    p.poke();
    const deleted = await waitState(w, rec.file, 'deleted');
    expect(await w.objects.head(done.object_key!)).toBeNull();
    const last = (await eventsOf(w, deleted.id)).at(-1)!;
    expect(last).toMatchObject({ kind: 'recording.deleted', callId, data: { key: done.object_key, reason: 'quarantine_expired' } });
  });

  test('a recording of a call the ledger does not know → quarantined as unknown_call (null call id in the ledger)', async () => {
    w = await world();
    w.pipeline();
    await connected(w);
    const ghost = '0b7e1a2c-3d4e-4f5a-8b6c-7d8e9f0a1b2c';
    const rec = dialplanRecording(w, ghost);
    await waitFor(() => rows(w!).length === 1, 'captured row');
    rec.hangup();
    const done = await waitState(w, rec.file, 'done');
    expect(done).toMatchObject({ disposition: 'quarantine', quarantine_reason: 'unknown_call', call_id: ghost });
  });

  test('a CONSENT_ID that is no call id of ours → unknown_call, recorded with a null call id; decrypts with the row context', async () => {
    w = await world();
    w.pipeline();
    await connected(w);
    const rec = dialplanRecording(w, 'not-an-id', { file: 'consentline-not-an-id-77.wav' });
    await waitFor(() => rows(w!).length === 1, 'captured row');
    rec.hangup();
    const done = await waitState(w, rec.file, 'done');
    expect(done).toMatchObject({ disposition: 'quarantine', quarantine_reason: 'unknown_call', call_id: null, context_id: done.id });
    const back = await readAll(w.envelope.decryptStream(await w.objects.get(done.object_key!), { expectedCallId: done.context_id }));
    expect(sha256(back)).toBe(sha256(toneWav(1)));
    expect((await eventsOf(w, done.id)).every((e) => e.callId === null)).toBe(true);
  });

  test('do-not-record: a consented call from a listed number is quarantined anyway', async () => {
    w = await world();
    const isDnr = doNotRecordLookup({ doNotRecord: ['+48600999888'] }, PEPPER);
    w.pipeline({ isDoNotRecord: isDnr });
    await connected(w);
    const callId = await ledgerCall(w, 'yes', '+48600999888');
    const other = await ledgerCall(w, 'yes', '+48600100200');
    const a = dialplanRecording(w, callId);
    const b = dialplanRecording(w, other);
    await waitFor(() => rows(w!).length === 2, 'two rows');
    a.hangup();
    b.hangup();
    expect(await waitState(w, a.file, 'done')).toMatchObject({ disposition: 'quarantine', quarantine_reason: 'do_not_record' });
    expect(await waitState(w, b.file, 'done')).toMatchObject({ disposition: 'keep' });
  });

  test('doNotRecordLookup keeps only HMAC keys', () => {
    const look = doNotRecordLookup({ doNotRecord: ['+48600999888', '+4915112345678'] }, PEPPER);
    expect(look(lookupKey(PEPPER, '+48600999888'))).toBe(true);
    expect(look(lookupKey(PEPPER, '+4915112345678'))).toBe(true);
    expect(look(lookupKey(PEPPER, '+48600999887'))).toBe(false);
    expect(look(lookupKey('other-pepper', '+48600999888'))).toBe(false);
    expect(look('+48600999888')).toBe(false);
  });
});

describe('hostile file names', () => {
  test('paths outside the spool dir, traversal, odd names and symlinks are refused: no row, nothing read or deleted', async () => {
    w = await world();
    w.pipeline({ options: { settleMs: 0 } });
    await connected(w);
    const callId = await ledgerCall(w, 'yes');
    const outside = join(w.dir, 'secret.wav');
    writeFileSync(outside, 'not yours');
    const linkName = `consentline-${callId}-666.wav`;
    symlinkSync(outside, join(w.spoolDir, linkName));
    const reported = [
      outside,
      `${w.spoolDir}/../secret.wav`,
      '/etc/passwd',
      `${w.spoolDir}/sub/consentline-x-1.wav`,
      `${w.spoolDir}/+48600100200.wav`,
      `${w.spoolDir}/${linkName}`,
      'a\nb.wav',
    ];
    for (const [i, file] of reported.entries()) {
      const call = w.emu.createLocalCall({ id: `h${i}`, inboundUniqueid: `99${i}.1` });
      w.emu.setVar(call.inbound, 'CONSENT_ID', callId);
      w.emu.setVar(call.inbound, 'CONSENT_RECORDING', 'yes');
      w.emu.setVar(call.inbound, 'MIXMONITOR_FILENAME', file);
      w.emu.emitEvent('call', [['Event', 'MixMonitorStart'], ...call.inbound.block()]);
      w.emu.hangupLocalCall(call);
    }
    await waitFor(
      () => w!.sink.lines().filter((l) => l['msg'] === 'recording file name refused: not read, not deleted').length >= reported.length * 2 - 1,
      'refusals logged',
    );
    await w.current!.scanNow();
    await new Promise((r) => setTimeout(r, 200));
    expect(rows(w)).toEqual([]);
    expect(existsSync(outside)).toBe(true);
    expect(existsSync(join(w.spoolDir, linkName))).toBe(true);
    const reasons = new Set(
      w.sink
        .lines()
        .filter((l) => l['msg'] === 'recording file name refused: not read, not deleted')
        .map((l) => l['reason']),
    );
    expect(reasons).toEqual(new Set(['outside-spool', 'traversal', 'bad-name', 'symlink']));
  });

  test('the scan takes only the dialplan\'s names', async () => {
    w = await world();
    w.pipeline({ options: { settleMs: 0 }, watcher: false });
    writeFileSync(join(w.spoolDir, 'other-app.wav'), toneWav(0.1));
    writeFileSync(join(w.spoolDir, '.consentline-x-1.wav'), toneWav(0.1));
    writeFileSync(join(w.spoolDir, 'consentline-x-1.gsm'), toneWav(0.1));
    const report = await w.current!.scanNow();
    expect(report).toMatchObject({ listed: 0, added: 0 });
    expect(rows(w)).toEqual([]);
  });
});

describe('AMI outages', () => {
  test('AMI drops mid-call and stays down: the scan finds the closed file, which goes through as usual', async () => {
    w = await world();
    w.pipeline({ options: { settleMs: 300 } });
    await connected(w);
    const callId = await ledgerCall(w, 'yes');
    const rec = dialplanRecording(w, callId, { seconds: 1 });
    await waitFor(() => rows(w!).length === 1, 'captured row');
    w.emu.dropConnections();
    await w.emu.refuseConnections();
    await waitFor(() => !w!.watcher!.connected, 'AMI down');
    rec.hangup(); // nobody hears it
    await w.emu.flushFiles();
    const done = await waitState(w, rec.file, 'done');
    expect(done).toMatchObject({ disposition: 'keep', stop_reason: 'scan', found_by: 'ami' });
    expect(existsSync(rec.full)).toBe(false);
    const kinds = (await eventsOf(w, done.id)).map((e) => e.kind);
    expect(kinds).toEqual(['recording.started', 'recording.stopped', 'recording.stored']);
  });

  test('a file written while AMI was down entirely is picked up by the scan (only once settled)', async () => {
    w = await world();
    w.pipeline({ options: { settleMs: 60_000 }, watcher: false });
    const callId = await ledgerCall(w, 'yes');
    const name = `consentline-${callId}-1700000123.45.wav`;
    const file = join(w.spoolDir, name);
    writeFileSync(file, toneWav(1));
    expect((await w.current!.scanNow()).added).toBe(0); // still fresh: might be written to
    const old = (Date.now() - 120_000) / 1000;
    utimesSync(file, old, old);
    expect((await w.current!.scanNow()).added).toBe(1);
    const done = await waitState(w, name, 'done');
    expect(done).toMatchObject({ found_by: 'scan', call_id: callId, disposition: 'keep' });
    expect(existsSync(file)).toBe(false);
  });
});
