#!/usr/bin/env tsx
// Retention sweep throughput against a real S3 (Ceph RGW on loopback): N expired recordings
// (tiny objects in a versioned bucket, rows written straight into the database) deleted by the
// sweep — DeleteObjects by version, one `recording.deleted` ledger event each, rows marked —
// compared with the raw DeleteObjects rate on the same gateway in the same run (target ≥ 0.7×).
// The raw rate is measured twice (before and after the sweep, BENCH_RAW_N objects in all) because
// the machine may be shared: the ratio uses their mean, and medians of per-batch rates are printed
// beside the totals. Prints the machine, load, N and versions, and ends with one JSON line.
//
//   npm run bench:retention                    # N = 100,000 (setup ≈ 120,000 PUTs: minutes)
//   BENCH_N=20000 npm run bench:retention      # smaller
//   BENCH_RAW_N=20000                          # objects for the raw DeleteObjects baseline (default min(N, 20,000))
//   BENCH_PUT_CONCURRENCY=128                  # PUTs in flight while setting up (one keep-alive agent)
//   RGW_ENDPOINT_JSON=<file>                   # use a running gateway instead of scripts/rgw/start.sh
//   RGW_MEMSTORE_MB=6144                       # RAM cap of the gateway this bench starts (default 6144)
import { execFile, execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CreateBucketCommand, DeleteObjectsCommand, PutBucketVersioningCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { openSqlite } from '../src/db/sqlite.js';
import { loadOrCreateSigner } from '../src/evidence/checkpoint.js';
import { openSqliteEvidenceStore } from '../src/evidence/sqlite-store.js';
import { S3ObjectStore } from '../src/recordings/storage/s3-store.js';
import { resolvePolicies } from '../src/retention/policy.js';
import { SqliteRetentionRepo } from '../src/retention/repo-sqlite.js';
import { RetentionService } from '../src/retention/service.js';
import { createLogger } from '../src/shared/log.js';

interface Rgw {
  endpoint: string;
  port: number;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

const repo = fileURLToPath(new URL('..', import.meta.url));
const N = Number(process.env.BENCH_N ?? 100_000);
const RAW_N = Math.min(N, Number(process.env.BENCH_RAW_N ?? 20_000));
const PUT_CONCURRENCY = Number(process.env.BENCH_PUT_CONCURRENCY ?? 128);
const BATCH = 1000;
const log = (s: string) => process.stderr.write(`${s}\n`);
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Raw DeleteObjects by version, batches of 1,000 one after another (as the sweep sends them). */
async function rawDeletes(s3: S3Client, bucket: string, keys: readonly string[], versions: readonly string[]) {
  const batchRates: number[] = [];
  let deleted = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < keys.length; i += BATCH) {
    const batch = keys.slice(i, i + BATCH).map((Key, j) => ({ Key, ...(versions[i + j] ? { VersionId: versions[i + j] } : {}) }));
    const t = process.hrtime.bigint();
    const res = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch, Quiet: false } }));
    batchRates.push(batch.length / (Number(process.hrtime.bigint() - t) / 1e9));
    deleted += res.Deleted?.length ?? 0;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { deleted, seconds, rate: deleted / seconds, medianBatchRate: median(batchRates) };
}

function version(pkg: string): string {
  try {
    return JSON.parse(readFileSync(join(repo, 'node_modules', pkg, 'package.json'), 'utf8')).version as string;
  } catch {
    return 'unknown';
  }
}

async function putMany(s3: S3Client, bucket: string, keys: readonly string[]): Promise<string[]> {
  const versions: string[] = new Array(keys.length);
  let next = 0;
  let done = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: Math.min(PUT_CONCURRENCY, keys.length) }, async () => {
      for (;;) {
        const i = next++;
        if (i >= keys.length) return;
        const res = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: keys[i]!, Body: `r${i}` }));
        versions[i] = res.VersionId ?? '';
        if (++done % 20_000 === 0) log(`  ${done}/${keys.length} objects (${Math.round(done / ((Date.now() - started) / 1000))} PUT/s)`);
      }
    }),
  );
  return versions;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'cl-bench-retention-'));
  let rgw: Rgw;
  let stopRgw = async () => {};
  if (process.env.RGW_ENDPOINT_JSON) {
    rgw = JSON.parse(readFileSync(process.env.RGW_ENDPOINT_JSON, 'utf8')) as Rgw;
  } else {
    const env = { ...process.env, RGW_DIR: join(work, 'rgw'), RGW_MEMSTORE_MB: process.env.RGW_MEMSTORE_MB ?? '6144' };
    log('starting Ceph RGW via scripts/rgw/start.sh');
    const out = execFileSync('bash', [join(repo, 'scripts/rgw/start.sh')], { env, stdio: ['ignore', 'pipe', 'inherit'], timeout: 600_000 });
    rgw = JSON.parse(out.toString().trim().split('\n').pop()!) as Rgw;
    stopRgw = async () => {
      await promisify(execFile)('bash', [join(repo, 'scripts/rgw/stop.sh')], { env }).catch(() => {});
    };
  }
  const clientConfig = {
    region: rgw.region,
    endpoint: rgw.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED' as const,
    responseChecksumValidation: 'WHEN_REQUIRED' as const,
    maxAttempts: 3,
  };
  // Set-up and the raw baseline: many requests in flight on one keep-alive agent.
  const s3 = new S3Client({ ...clientConfig, requestHandler: { httpAgent: new Agent({ keepAlive: true, maxSockets: Math.max(64, PUT_CONCURRENCY) }) } });
  try {
    const bucket = `cl-bench-ret-${Date.now().toString(36)}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: rgw.region as 'eu-central-1' } }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));

    // 1. Objects: N for the sweep, RAW_N for the raw DeleteObjects baseline (half before, half after the sweep).
    const ids = Array.from({ length: N }, () => randomUUID());
    const keys = ids.map((id) => `recordings/2020/01/01/${id}.wav.enc`);
    const rawKeys = Array.from({ length: RAW_N }, (_, i) => `raw/${i}.bin`);
    log(`putting ${N + RAW_N} tiny objects, ${PUT_CONCURRENCY} in flight (load ${load()})`);
    const t0 = Date.now();
    const versions = await putMany(s3, bucket, keys);
    const rawVersions = await putMany(s3, bucket, rawKeys);
    const putSeconds = (Date.now() - t0) / 1000;
    log(`set-up: ${N + RAW_N} PUTs in ${putSeconds.toFixed(1)} s (load ${load()})`);
    const half = Math.ceil(RAW_N / 2 / BATCH) * BATCH;

    // 2. Rows, straight into the database (one transaction): a call and a done recording each, captured in 2020.
    const path = join(work, 'consentline.sqlite');
    const evidence = await openSqliteEvidenceStore({ path });
    const { db } = openSqlite({ path });
    const insCall = db.prepare(`INSERT INTO calls (call_id, started_at, flow_id, did, legal_basis, server) VALUES (?, ?, 'main', '+48221234567', 'consent_by_conduct', 'pbx-1')`);
    const insRec = db.prepare(
      `INSERT INTO recordings (id, call_id, source, source_name, found_by, state, disposition, started_at, context_id, store, object_key, version_id, created_at, updated_at)
       VALUES (?, ?, 'spool', ?, 'ami', 'done', 'keep', ?, ?, 's3', ?, ?, ?, ?)`,
    );
    const at = '2020-01-01T10:00:00.000Z';
    db.transaction(() => {
      for (let i = 0; i < N; i++) {
        const callId = randomUUID();
        insCall.run(callId, at);
        insRec.run(ids[i]!, callId, `consentline-${ids[i]}.wav`, at, callId, keys[i]!, versions[i] || null, at, at);
      }
    })();

    // 3. Raw DeleteObjects, first half of the baseline.
    const loadBefore = load();
    const rawBefore = await rawDeletes(s3, bucket, rawKeys.slice(0, half), rawVersions.slice(0, half));

    // 4. The sweep.
    const store = new S3ObjectStore({ bucket, region: rgw.region, endpoint: rgw.endpoint, forcePathStyle: true, credentials: clientConfig.credentials, requestChecksumCalculation: 'WHEN_REQUIRED' });
    const { signer } = loadOrCreateSigner(join(work, 'secrets', 'cp.pem'), 'consentline/bench');
    // The sweep logs each batch it finished (info): their times give per-batch rates.
    const batchEnds: number[] = [];
    const sweepLog = createLogger(
      { level: 'info' },
      new Writable({
        write: (c, _e, done) => {
          const line = JSON.parse(String(c)) as { level: number; msg: string; deleted?: number };
          if (line.msg === 'retention: recordings deleted') batchEnds.push(Number(process.hrtime.bigint()) / 1e6);
          else if (line.level >= 40) process.stderr.write(c);
          done();
        },
      }),
    );
    const service = new RetentionService({
      repo: new SqliteRetentionRepo(db),
      evidence,
      objectStore: store,
      bucket,
      signer,
      pepper: 'bench-pepper-0123456789abcdef0123456789abcdef',
      controller: { name: 'Bench' },
      clock: { now: () => Date.now() },
      log: sweepLog,
      policies: resolvePolicies({ default: { recordingsDays: 90, evidenceDays: 2190 } }, [{ id: 'main' }], { quarantineDays: 7 }),
      instanceId: 'bench',
      options: { batchSize: BATCH, leaseSeconds: 60, deleteAttempts: 3, bypassGovernanceForErasure: false },
    });
    const cpu0 = process.cpuUsage();
    const sweepStart = process.hrtime.bigint();
    const report = await service.sweep();
    const sweepSeconds = Number(process.hrtime.bigint() - sweepStart) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    if (report.status === 'busy') throw new Error('lease busy');
    const rate = report.recordings.deleted / sweepSeconds;
    const sweepBatchMs = batchEnds.map((t, i) => t - (i === 0 ? Number(sweepStart) / 1e6 : batchEnds[i - 1]!));
    const sweepMedianBatchRate = BATCH / (median(sweepBatchMs) / 1000);
    const loadAfterSweep = load();

    // 5. Raw DeleteObjects, second half of the baseline.
    const rawAfter = await rawDeletes(s3, bucket, rawKeys.slice(half), rawVersions.slice(half));
    const rawDeleted = rawBefore.deleted + rawAfter.deleted;
    const rawRate = rawDeleted / (rawBefore.seconds + rawAfter.seconds);
    const rawMedianBatchRate = (rawBefore.medianBatchRate + (rawAfter.deleted ? rawAfter.medianBatchRate : rawBefore.medianBatchRate)) / 2;
    const events = (db.prepare(`SELECT count(*) AS n FROM events WHERE kind = 'recording.deleted'`).get() as { n: number }).n;
    const left = (db.prepare(`SELECT count(*) AS n FROM recordings WHERE state <> 'deleted'`).get() as { n: number }).n;
    const verify = await evidence.verify();

    let ceph = 'unknown';
    try {
      ceph = execFileSync('radosgw', ['--version'], { encoding: 'utf8' }).trim().split('\n')[0]!.replace(/^ceph version /, '');
    } catch {
      /* not on PATH */
    }
    const figures = {
      bench: 'retention',
      n: N,
      rawN: RAW_N,
      batch: BATCH,
      deleted: report.recordings.deleted,
      failed: report.recordings.failed,
      locked: report.recordings.locked,
      ledgerEvents: events,
      rowsLeft: left,
      ledgerVerified: verify.ok,
      sweepSeconds: Number(sweepSeconds.toFixed(2)),
      sweepItemsPerSecond: Math.round(rate),
      rawDeleteObjectsPerSecond: Math.round(rawRate),
      rawBeforePerSecond: Math.round(rawBefore.rate),
      rawAfterPerSecond: Math.round(rawAfter.rate),
      ratio: Number((rate / rawRate).toFixed(3)),
      target: 0.7,
      sweepBatches: sweepBatchMs.length,
      sweepMedianBatchPerSecond: Math.round(sweepMedianBatchRate),
      rawMedianBatchPerSecond: Math.round(rawMedianBatchRate),
      medianRatio: Number((sweepMedianBatchRate / rawMedianBatchRate).toFixed(3)),
      load: { beforeRaw: loadBefore, afterSweep: loadAfterSweep, end: load() },
      sweepNodeCpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
      putSeconds: Number(putSeconds.toFixed(1)),
      putsPerSecond: Math.round((N + RAW_N) / putSeconds),
      putConcurrency: PUT_CONCURRENCY,
      machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memGB: Math.round(totalmem() / 1e9) },
      node: process.version,
      versions: { ceph, '@aws-sdk/client-s3': version('@aws-sdk/client-s3'), 'better-sqlite3': version('better-sqlite3') },
    };
    const p = (s: string) => process.stdout.write(`${s}\n`);
    p(`retention bench: N=${N} expired recordings (tiny objects, versioned bucket), batches of ${BATCH}, Ceph RGW ${ceph} on loopback`);
    p(`machine: ${figures.machine.cpu}, ${figures.machine.cores} cores, ${figures.machine.memGB} GB; Node ${process.version}; @aws-sdk/client-s3 ${figures.versions['@aws-sdk/client-s3']}`);
    p(`load average (1/5/15 min): before the raw baseline ${loadBefore}, after the sweep ${loadAfterSweep}, at the end ${figures.load.end}`);
    p(`setup: ${N + RAW_N} PUTs in ${figures.putSeconds} s = ${figures.putsPerSecond} PUT/s (${PUT_CONCURRENCY} in flight)`);
    p(`raw DeleteObjects (${RAW_N} by version, sequential batches, half before and half after the sweep): ${figures.rawDeleteObjectsPerSecond} objects/s (before ${figures.rawBeforePerSecond}, after ${figures.rawAfterPerSecond}; median batch ${figures.rawMedianBatchPerSecond})`);
    p(`sweep: ${report.recordings.deleted} deleted in ${figures.sweepSeconds} s = ${figures.sweepItemsPerSecond} items/s (ledger events ${events}, rows left ${left}, failed ${report.recordings.failed}, chain ${verify.ok ? 'verifies' : 'BROKEN'}); node CPU ${figures.sweepNodeCpuSeconds} s`);
    p(`sweep per batch of ${BATCH}: median ${figures.sweepMedianBatchPerSecond} items/s over ${figures.sweepBatches} batches`);
    p(`ratio sweep/raw: ${figures.ratio} overall, ${figures.medianRatio} by median batch (target ≥ ${figures.target})`);
    p(JSON.stringify(figures));
    await store.close();
    await evidence.close();
    db.close();
  } finally {
    s3.destroy();
    await stopRgw();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
