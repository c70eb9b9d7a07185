/**
 * Restart mid-pipeline: a first pipeline instance stops (as if the process died) with the recording
 * in each state; a new instance on the same database takes it from there. Faults come from tiny
 * wrappers around the real store and source (ports, no module mocking).
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { SpoolSource, type RecordingSource } from '../../../src/recordings/pipeline/index.js';
import { ObjectStoreError } from '../../../src/recordings/storage/errors.js';
import type { ObjectStore } from '../../../src/recordings/storage/port.js';
import { toneWav } from '../../emulators/ami/index.js';
import { dialplanRecording, eventsOf, ledgerCall, readAll, rows, sha256, waitFor, waitState, world, type World } from './helpers.js';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

/** The real local store with some methods replaced. */
function storeWith(real: ObjectStore, over: Partial<Pick<ObjectStore, 'put' | 'get' | 'head'>>): ObjectStore {
  return {
    kind: real.kind,
    put: over.put ?? ((k, b, o) => real.put(k, b, o)),
    get: over.get ?? ((k, r) => real.get(k, r)),
    head: over.head ?? ((k) => real.head(k)),
    delete: (t, o) => real.delete(t, o),
    checkLocation: () => real.checkLocation(),
    close: () => real.close(),
  };
}

const down = (): never => {
  throw new ObjectStoreError('UNAVAILABLE', 'connect ECONNREFUSED (test)');
};

async function recordAndHangUp(x: World): Promise<{ file: string; full: string; callId: string }> {
  await waitFor(() => x.watcher?.connected, 'AMI login');
  const callId = await ledgerCall(x, 'yes');
  const rec = dialplanRecording(x, callId, { seconds: 1 });
  await waitFor(() => rows(x).length === 1, 'captured row');
  rec.hangup();
  await x.emu.flushFiles();
  return { file: rec.file, full: rec.full, callId };
}

async function finishesOnRestart(x: World, file: string, full: string, callId: string): Promise<void> {
  await x.current!.stop();
  x.pipeline();
  const done = await waitState(x, file, 'done');
  expect(existsSync(full)).toBe(false);
  const work = join(x.dataDir, 'recordings', 'work');
  expect(existsSync(work) ? readdirSync(work) : []).toEqual([]);
  const back = await readAll(x.envelope.decryptStream(await x.objects.get(done.object_key!), { expectedCallId: callId }));
  expect(sha256(back)).toBe(sha256(toneWav(1)));
  const kinds = (await eventsOf(x, done.id)).map((e) => e.kind);
  expect(kinds.filter((k) => k === 'recording.stored')).toHaveLength(1);
  expect(kinds.filter((k) => k === 'recording.started')).toHaveLength(1);
  // exactly one object in the store
  const stored = readdirSync(join(x.dataDir, 'recordings', 'store'), { recursive: true }).filter((f) => String(f).endsWith('.wav.enc'));
  expect(stored).toHaveLength(1);
}

describe('restart resumes from each state', () => {
  test('spooled (no worker ran)', async () => {
    w = await world();
    w.pipeline({ start: false });
    const r = await recordAndHangUp(w);
    await waitState(w, r.file, 'spooled');
    await finishesOnRestart(w, r.file, r.full, r.callId);
  });

  test('encrypted (the store was down)', async () => {
    w = await world();
    w.pipeline({ store: storeWith(w.objects, { put: down }) });
    const r = await recordAndHangUp(w);
    const row = await waitFor(() => {
      const x = rows(w!)[0];
      return x?.state === 'encrypted' && x.attempts > 0 ? x : undefined;
    }, 'a failed upload');
    expect(row.last_error).toBe('UNAVAILABLE');
    expect(existsSync(r.full)).toBe(true); // never deleted before verified
    const failed = (await eventsOf(w, row.id)).filter((e) => e.kind === 'recording.upload_failed');
    expect(failed[0]!.data).toMatchObject({ attempt: 1, code: 'UNAVAILABLE', step: 'encrypted' });
    await finishesOnRestart(w, r.file, r.full, r.callId);
  });

  test('encrypted, ciphertext copy lost: encrypted again from the spool file', async () => {
    w = await world();
    w.pipeline({ store: storeWith(w.objects, { put: down }) });
    const r = await recordAndHangUp(w);
    const before = await waitFor(() => (rows(w!)[0]?.state === 'encrypted' ? rows(w!)[0] : undefined), 'encrypted');
    await w.current!.stop();
    rmSync(join(w.dataDir, 'recordings', 'work'), { recursive: true, force: true });
    w.pipeline();
    const done = await waitState(w, r.file, 'done');
    expect(done.ciphertext_sha256).not.toBe(before.ciphertext_sha256); // a fresh data key
    expect(done.plaintext_sha256).toBe(before.plaintext_sha256);
    expect(existsSync(r.full)).toBe(false);
  });

  test('encrypted, but the upload had landed before the crash: the re-put is a no-op, one object', async () => {
    w = await world();
    const real = w.objects;
    w.pipeline({
      store: storeWith(real, {
        put: async (k, b, o) => {
          await real.put(k, b, o);
          throw new ObjectStoreError('UNAVAILABLE', 'connection reset after the body was sent (test)');
        },
      }),
    });
    const r = await recordAndHangUp(w);
    await waitFor(() => rows(w!)[0]?.state === 'encrypted' && rows(w!)[0]!.attempts > 0, 'the lost answer');
    await finishesOnRestart(w, r.file, r.full, r.callId);
    expect(w.sink.lines().some((l) => l['msg'] === 'recording was already stored')).toBe(true);
  });

  test('encrypted, upload landed and the ciphertext copy is gone: the stored object is recognised', async () => {
    w = await world();
    const real = w.objects;
    w.pipeline({
      store: storeWith(real, {
        put: async (k, b, o) => {
          await real.put(k, b, o);
          throw new ObjectStoreError('UNAVAILABLE', 'lost answer (test)');
        },
      }),
    });
    const r = await recordAndHangUp(w);
    await waitFor(() => rows(w!)[0]?.state === 'encrypted' && rows(w!)[0]!.attempts > 0, 'the lost answer');
    await w.current!.stop();
    rmSync(join(w.dataDir, 'recordings', 'work'), { recursive: true, force: true });
    await finishesOnRestart(w, r.file, r.full, r.callId);
  });

  test('uploaded (verification could not read the object)', async () => {
    w = await world();
    w.pipeline({ store: storeWith(w.objects, { get: down }) });
    const r = await recordAndHangUp(w);
    const row = await waitFor(() => (rows(w!)[0]?.state === 'uploaded' && rows(w!)[0]!.attempts > 0 ? rows(w!)[0] : undefined), 'uploaded');
    expect(existsSync(r.full)).toBe(true);
    expect((await eventsOf(w, row.id)).map((e) => e.kind)).not.toContain('recording.stored');
    await finishesOnRestart(w, r.file, r.full, r.callId);
  });

  test('verified (the spool file could not be deleted)', async () => {
    w = await world();
    const real = new SpoolSource({ dir: w.spoolDir });
    const stuck: RecordingSource = {
      kind: 'spool',
      nameOf: (x) => real.nameOf(x),
      open: (n) => real.open(n),
      list: () => real.list(),
      remove: async () => {
        throw Object.assign(new Error('EBUSY (test)'), { code: 'EBUSY' });
      },
    };
    w.pipeline({ source: stuck });
    const r = await recordAndHangUp(w);
    const row = await waitFor(() => (rows(w!)[0]?.state === 'verified' && rows(w!)[0]!.attempts > 0 ? rows(w!)[0] : undefined), 'verified');
    expect(row.last_error).toBe('EBUSY');
    expect(existsSync(r.full)).toBe(true);
    await finishesOnRestart(w, r.file, r.full, r.callId);
  });

  test('a claim left by a killed run of this instance is freed at start', async () => {
    w = await world();
    w.pipeline({ start: false });
    const r = await recordAndHangUp(w);
    const row = await waitState(w, r.file, 'spooled');
    // the dead run had claimed it for a long time
    w.db.prepare("UPDATE recordings SET claimed_by = 'consentline-test', claimed_until = '2999-01-01T00:00:00.000Z' WHERE id = ?").run(row.id);
    await finishesOnRestart(w, r.file, r.full, r.callId);
  });
});

/** The ledger as a process that dies right after committing the row sees it: appends of `kind` are lost. */
function ledgerDroppingOnce(x: World, kind: string): World['evidence'] {
  let dropped = false;
  return new Proxy(x.evidence, {
    get(target, prop, receiver) {
      if (prop !== 'append') return Reflect.get(target, prop, receiver) as unknown;
      return (event: Parameters<World['evidence']['append']>[0], ...rest: unknown[]) => {
        if (!dropped && event.kind === kind) {
          dropped = true;
          return Promise.reject(new Error(`process died before ${kind} was written (test)`));
        }
        return (target.append as (...a: unknown[]) => unknown)(event, ...rest);
      };
    },
  });
}

async function countKinds(x: World, recordingId: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const e of await eventsOf(x, recordingId)) out[e.kind] = (out[e.kind] ?? 0) + 1;
  return out;
}

/** Stops the pipeline and the watcher, as a process that ends; the next `pipeline()` logs in afresh. */
async function stopService(x: World): Promise<void> {
  await x.current!.stop();
  await x.watcher?.stop();
  x.watcher = null;
}

describe('recording.started / recording.stopped across a restart mid-recording', () => {
  test('restart while recording: the new watcher never saw the start; one started, one stopped, one stored', async () => {
    w = await world();
    w.pipeline({ options: { settleMs: 300 } });
    await waitFor(() => w!.watcher?.connected, 'AMI login');
    const callId = await ledgerCall(w, 'yes');
    const rec = dialplanRecording(w, callId, { seconds: 1 });
    const row = await waitFor(() => rows(w!)[0], 'captured row');
    await waitFor(async () => (await countKinds(w!, row.id))['recording.started'] === 1, 'recording.started');
    await stopService(w);

    w.pipeline({ options: { settleMs: 300 } });
    await waitFor(() => w!.watcher?.connected, 'AMI login again');
    rec.hangup(); // a Hangup of a channel this watcher never followed
    await w.emu.flushFiles();
    const done = await waitState(w, rec.file, 'done');
    expect(done.id).toBe(row.id);
    expect(await countKinds(w, row.id)).toEqual({ 'recording.started': 1, 'recording.stopped': 1, 'recording.stored': 1 });
  });

  test('the process died between committing the capture and writing recording.started: made up after the restart, once', async () => {
    w = await world();
    w.pipeline({ options: { settleMs: 300 }, evidence: ledgerDroppingOnce(w, 'recording.started') });
    await waitFor(() => w!.watcher?.connected, 'AMI login');
    const callId = await ledgerCall(w, 'yes');
    const rec = dialplanRecording(w, callId, { seconds: 1 });
    const row = await waitFor(() => rows(w!)[0], 'captured row');
    await w.current!.whenIntakeIdle();
    expect(await countKinds(w, row.id)).toEqual({});
    await stopService(w);

    w.pipeline({ options: { settleMs: 300 } });
    rec.hangup();
    await w.emu.flushFiles();
    await waitState(w, rec.file, 'done');
    const kinds = (await eventsOf(w, row.id)).map((e) => e.kind);
    expect(kinds).toEqual(['recording.started', 'recording.stopped', 'recording.stored']);
  });

  test('the process died between closing the recording and writing recording.stopped: made up by the next step, once', async () => {
    w = await world();
    w.pipeline({ start: false, evidence: ledgerDroppingOnce(w, 'recording.stopped') });
    const r = await recordAndHangUp(w);
    const row = await waitState(w, r.file, 'spooled');
    await w.current!.whenIntakeIdle();
    expect(await countKinds(w, row.id)).toEqual({ 'recording.started': 1 });
    await stopService(w);

    w.pipeline();
    await waitState(w, r.file, 'done');
    const events = await eventsOf(w, row.id);
    expect(events.map((e) => e.kind)).toEqual(['recording.started', 'recording.stopped', 'recording.stored']);
    expect(events[1]!.data).toMatchObject({ reason: 'hangup', recovered: true });
  });
});
