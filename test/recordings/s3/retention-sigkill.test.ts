/**
 * The retention sweep killed with SIGKILL mid-run and run again. The sweep is the real CLI
 * (`consentline retention run`, a child process through tsx) on the test's SQLite file and a real
 * RGW bucket; a relay in front of RGW stops the child's DeleteObjects after some batches, so the
 * kill lands where some batches are deleted and the next is only marked (or deleted in RGW but
 * not yet answered). The next run must delete every due item exactly once, leave the held and
 * not-yet-due ones alone, and keep `ledger verify` green; a restart while the dead run's lease is
 * still valid is refused, and the run after the expiry takes over.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HeadObjectCommand, ListObjectVersionsCommand, PutBucketVersioningCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { SqliteTokenStore } from '../../../src/api/tokens.js';
import type { CliIo } from '../../../src/cli/command.js';
import { holdSet } from '../../../src/cli/commands/hold.js';
import { ledgerVerify } from '../../../src/cli/commands/ledger-verify.js';
import { openSqlite, type SqliteDatabase } from '../../../src/db/sqlite.js';
import { openSqliteEvidenceStore } from '../../../src/evidence/sqlite-store.js';
import { seedCall } from '../../api/evidence-helpers.js';
import { writeCliConfig } from '../../retention/cli-config.js';
import { deletionEvents, insertRecording, recordingState } from '../../retention/helpers.js';
import { DeleteGate, type GateStop } from './delete-gate.js';
import { makeBucket, rgw, s3Client } from './rgw.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = join(ROOT, 'src/cli/main.ts');
const INSTANCE = 'sweeper-1';
const LONG_AGO = '2020-01-10T08:00:00.000Z';

let c: S3Client;
const cleanups: Array<() => Promise<void> | void> = [];
beforeAll(() => {
  c = s3Client();
  // The CLI's S3 store takes the SDK's default credential chain, here and in the children.
  process.env.AWS_ACCESS_KEY_ID = rgw().accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = rgw().secretAccessKey;
});
afterAll(() => c?.destroy());
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

interface Item {
  readonly id: string;
  readonly callId: string;
  readonly key: string;
  readonly versionId: string;
}

/** A database with calls and their recordings in a versioned RGW bucket, and a config file for the CLI. */
async function sweepWorld(opts: { due: number; notDue: number; batchSize: number; leaseSeconds: number; gate: { pass: number; stop: GateStop } }) {
  const bucket = await makeBucket();
  await c.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
  const dir = mkdtempSync(join(tmpdir(), 'cl-retention-kill-'));
  const dbPath = join(dir, 'consentline.sqlite');
  const evidence = await openSqliteEvidenceStore({ path: dbPath, writerThread: false });
  const { db } = openSqlite({ path: dbPath });
  const gate = new DeleteGate(rgw().port, opts.gate);
  await gate.open();
  cleanups.push(
    () => rmSync(dir, { recursive: true, force: true }),
    () => void db.close(),
    () => gate.close(),
  );

  const put = async (startedAt: string): Promise<Item> => {
    const callId = randomUUID();
    await seedCall(evidence, { callId, startedAt, outcome: 'continued', number: '+48600123456' });
    const id = randomUUID();
    const key = `recordings/${startedAt.slice(0, 10)}/${id}.wav.enc`;
    const res = await c.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `recording ${id}` }));
    insertRecording(db, { id, callId, key, startedAt, store: 's3', versionId: res.VersionId! });
    return { id, callId, key, versionId: res.VersionId! };
  };
  const due: Item[] = [];
  for (let i = 0; i < opts.due; i++) due.push(await put(LONG_AGO));
  // The sweep pages by recording id: sorted, batch k is due[k*batchSize …].
  due.sort((a, b) => (a.id < b.id ? -1 : 1));
  const notDue: Item[] = [];
  for (let i = 0; i < opts.notDue; i++) notDue.push(await put(new Date(Date.now() - 86_400_000).toISOString()));
  await evidence.close();

  const r = rgw();
  const config = writeCliConfig(dir, {
    dbPath,
    instanceId: INSTANCE,
    store: `{ type: s3, bucket: ${bucket}, region: ${r.region}, endpoint: ${JSON.stringify(gate.endpoint)}, forcePathStyle: true, requestChecksumCalculation: WHEN_REQUIRED }`,
    retention: `{ default: { recordingsDays: 30, evidenceDays: 36500 }, batchSize: ${opts.batchSize}, leaseSeconds: ${opts.leaseSeconds} }`,
  });
  return { bucket, dir, dbPath, db, gate, config, due, notDue };
}

interface CliRun {
  readonly kill: () => void;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>;
}

/** `consentline <args>` in its own process, as an operator runs it. */
function cli(args: readonly string[]): CliRun {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, out, err })),
  );
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { kill: () => child.kill('SIGKILL'), exited };
}

/** Runs the sweep to its end and returns its JSON report. */
async function sweep(config: string, expectCode = 0) {
  const r = await cli(['retention', 'run', '--config', config, '--json']).exited;
  expect(r.code, `exit ${r.code}: ${r.err.slice(-800)}`).toBe(expectCode);
  return JSON.parse(r.out.trim().split('\n').pop()!) as Record<string, unknown> & { recordings?: Record<string, unknown> };
}

/** The first sweep, killed with SIGKILL as soon as the gate has stopped its DeleteObjects. */
async function sweepKilledAtGate(w: Awaited<ReturnType<typeof sweepWorld>>): Promise<void> {
  const run = cli(['retention', 'run', '--config', w.config, '--json']);
  const early = run.exited.then((r) => {
    throw new Error(`the sweep ended before the gate stopped it (exit ${r.code}): ${r.err.slice(-800)}`);
  });
  await Promise.race([w.gate.stopped, early]);
  early.catch(() => {});
  run.kill();
  const dead = await run.exited;
  expect(dead.signal).toBe('SIGKILL');
}

function marks(db: SqliteDatabase, state: string): string[] {
  return (db.prepare('SELECT recording_id FROM retention_deletions WHERE state = ? ORDER BY recording_id').all(state) as { recording_id: string }[]).map((r) => r.recording_id);
}

function lease(db: SqliteDatabase): { holder: string; expires_at: number } | undefined {
  return db.prepare(`SELECT holder, expires_at FROM retention_leases WHERE name = 'retention'`).get() as { holder: string; expires_at: number } | undefined;
}

async function waitForExpiry(db: SqliteDatabase): Promise<void> {
  const l = lease(db);
  if (l) await new Promise((r) => setTimeout(r, Math.max(0, l.expires_at - Date.now()) + 200));
}

async function inBucket(bucket: string, it: Item): Promise<boolean> {
  try {
    await c.send(new HeadObjectCommand({ Bucket: bucket, Key: it.key, VersionId: it.versionId }));
    return true;
  } catch (e) {
    if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
    throw e;
  }
}

async function keysLeft(bucket: string): Promise<string[]> {
  const res = await c.send(new ListObjectVersionsCommand({ Bucket: bucket }));
  return [...(res.Versions ?? []).map((v) => v.Key!), ...(res.DeleteMarkers ?? []).map((m) => `marker:${m.Key!}`)].sort();
}

const ids = (items: readonly Item[]) => items.map((i) => i.id);

async function ledgerVerifies(dbPath: string): Promise<boolean> {
  const io: CliIo = { out: () => {}, err: () => {}, env: {}, now: () => Date.now() };
  return (await ledgerVerify.run(['--db', dbPath], io)) === 0;
}

test('SIGKILL with two batches deleted and the third only marked: the next run deletes every due item exactly once, the held and not-yet-due ones stay', { timeout: 180_000 }, async () => {
  const w = await sweepWorld({ due: 24, notDue: 2, batchSize: 5, leaseSeconds: 5, gate: { pass: 2, stop: 'request' } });
  // A legal hold (set with the CLI) on the call of the last due recording: the sweep pages past it.
  const held = w.due[w.due.length - 1]!;
  const token = (await new SqliteTokenStore(w.db).create('dpo-1', 'dpo')).token;
  const io: CliIo = { out: () => {}, err: () => {}, env: {}, now: () => Date.now() };
  expect(await holdSet.run(['--call', held.callId, '--reason', 'court order', '--config', w.config, '--token', token], io)).toBe(0);
  const free = w.due.slice(0, -1);

  await sweepKilledAtGate(w);
  // Killed with batches 1-2 deleted (events written, rows done) and batch 3 marked, its request stopped.
  const [firstTwo, third, rest] = [free.slice(0, 10), free.slice(10, 15), free.slice(15)];
  expect(marks(w.db, 'deleted')).toEqual(ids(firstTwo).sort());
  expect(marks(w.db, 'deleting')).toEqual(ids(third).sort());
  for (const it of firstTwo) {
    expect(deletionEvents(w.db, it.id)).toBe(1);
    expect(await inBucket(w.bucket, it)).toBe(false);
  }
  for (const it of [...third, ...rest, held, ...w.notDue]) {
    expect(deletionEvents(w.db, it.id)).toBe(0);
    expect(recordingState(w.db, it.id)).toBe('done');
    expect(await inBucket(w.bucket, it)).toBe(true);
  }
  expect(lease(w.db)?.holder).toMatch(new RegExp(`^${INSTANCE}/`));

  // The dead run's lease (5 s) runs out; the next run finishes the marked batch first.
  w.gate.disarm();
  await waitForExpiry(w.db);
  const report = await sweep(w.config);
  expect(report.status).toBe('done');
  expect(report.recordings).toMatchObject({ resumed: 5, due: 5 + rest.length + 1, deleted: 5 + rest.length, held: 1, failed: 0, locked: 0, alreadyAbsent: 0 });

  for (const it of free) {
    expect(deletionEvents(w.db, it.id)).toBe(1);
    expect(recordingState(w.db, it.id)).toBe('deleted');
    expect(await inBucket(w.bucket, it)).toBe(false);
  }
  for (const it of [held, ...w.notDue]) {
    expect(deletionEvents(w.db, it.id)).toBe(0);
    expect(recordingState(w.db, it.id)).toBe('done');
  }
  // Only the held and the not-yet-due objects are left, no delete markers.
  expect(await keysLeft(w.bucket)).toEqual([held, ...w.notDue].map((i) => i.key).sort());
  const events = w.db.prepare(`SELECT count(*) AS n FROM events WHERE kind = 'recording.deleted'`).get() as { n: number };
  expect(events.n).toBe(free.length);
  expect(await ledgerVerifies(w.dbPath)).toBe(true);
  expect(lease(w.db)).toBeUndefined();
});

test('SIGKILL after RGW deleted a batch but before the sweep heard it: a restart inside the lease is refused, the one after its expiry takes over and writes each event once', { timeout: 180_000 }, async () => {
  // A 30 s lease: the immediate restart (a tsx start on a busy machine) lands well inside it.
  const w = await sweepWorld({ due: 12, notDue: 1, batchSize: 5, leaseSeconds: 30, gate: { pass: 1, stop: 'response' } });
  await sweepKilledAtGate(w);
  const [first, second, rest] = [w.due.slice(0, 5), w.due.slice(5, 10), w.due.slice(10)];
  // The second batch is gone from RGW, but the dead run wrote neither its events nor its rows.
  for (const it of first) expect(deletionEvents(w.db, it.id)).toBe(1);
  for (const it of second) {
    expect(await inBucket(w.bucket, it)).toBe(false);
    expect(deletionEvents(w.db, it.id)).toBe(0);
  }
  expect(marks(w.db, 'deleting')).toEqual(ids(second).sort());
  const dead = lease(w.db)!;
  expect(dead.holder).toMatch(new RegExp(`^${INSTANCE}/`));
  expect(dead.expires_at).toBeGreaterThan(Date.now());

  // Restarted at once: the lease is the dead run's and still valid, so this run does nothing.
  w.gate.disarm();
  const refused = await sweep(w.config, 1);
  expect(refused).toMatchObject({ status: 'busy', holder: dead.holder, until: new Date(dead.expires_at).toISOString() });
  expect(marks(w.db, 'deleting')).toEqual(ids(second).sort());
  expect(lease(w.db)).toEqual(dead);

  // After the expiry the next run takes the lease over and finishes.
  await waitForExpiry(w.db);
  const report = await sweep(w.config);
  expect(report.status).toBe('done');
  // RGW answers "Deleted" again for a version already gone, so nothing is counted as already absent.
  expect(report.recordings).toMatchObject({ resumed: 5, due: 5 + rest.length, deleted: 5 + rest.length, failed: 0, alreadyAbsent: 0 });
  for (const it of w.due) {
    expect(deletionEvents(w.db, it.id)).toBe(1);
    expect(recordingState(w.db, it.id)).toBe('deleted');
    expect(await inBucket(w.bucket, it)).toBe(false);
  }
  // The resumed batch's events carry the run that finished it, not the dead one.
  const resumed = w.db
    .prepare(`SELECT json_extract(data, '$.recordingId') AS id, json_extract(data, '$.runId') AS run FROM events WHERE kind = 'recording.deleted'`)
    .all() as { id: string; run: string }[];
  const runs = new Set(resumed.filter((e) => ids(second).includes(e.id)).map((e) => e.run));
  expect(runs.size).toBe(1);
  expect(runs.has(dead.holder.split('/')[1]!)).toBe(false);
  expect(deletionEvents(w.db, w.notDue[0]!.id)).toBe(0);
  expect(await keysLeft(w.bucket)).toEqual([w.notDue[0]!.key]);
  expect(await ledgerVerifies(w.dbPath)).toBe(true);
});
