#!/usr/bin/env tsx
// Retention sweep throughput against a real S3 (Ceph RGW on loopback): N expired recordings
// (tiny objects in a versioned bucket, rows written straight into the database) deleted by the
// sweep — DeleteObjects by version, one `recording.deleted` ledger event each, rows marked —
// compared with the raw DeleteObjects rate on the same gateway in the same run (target ≥ 0.7×).
// Prints the machine, N and versions, and ends with one JSON line.
//
//   npm run bench:retention                    # N = 100,000
//   BENCH_N=20000 npm run bench:retention      # smaller
//   RGW_ENDPOINT_JSON=<file>                   # use a running gateway instead of scripts/rgw/start.sh
import { execFile, execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
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
import { RetentionRepo } from '../src/retention/repo.js';
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
const PUT_CONCURRENCY = Number(process.env.BENCH_PUT_CONCURRENCY ?? 64);
const BATCH = 1000;
const log = (s: string) => process.stderr.write(`${s}\n`);

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
    Array.from({ length: PUT_CONCURRENCY }, async () => {
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
    const env = { ...process.env, RGW_DIR: join(work, 'rgw') };
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
  const s3 = new S3Client(clientConfig);
  try {
    const bucket = `cl-bench-ret-${Date.now().toString(36)}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: rgw.region as 'eu-central-1' } }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));

    // 1. Objects: N for the sweep, RAW_N for the raw DeleteObjects baseline.
    const ids = Array.from({ length: N }, () => randomUUID());
    const keys = ids.map((id) => `recordings/2020/01/01/${id}.wav.enc`);
    const rawKeys = Array.from({ length: RAW_N }, (_, i) => `raw/${i}.bin`);
    log(`putting ${N + RAW_N} tiny objects, ${PUT_CONCURRENCY} in flight`);
    const t0 = Date.now();
    const versions = await putMany(s3, bucket, keys);
    const rawVersions = await putMany(s3, bucket, rawKeys);
    const putSeconds = (Date.now() - t0) / 1000;

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

    // 3. Raw DeleteObjects, batches of 1,000 by version, one after another (as the sweep sends them).
    const rawStart = process.hrtime.bigint();
    let rawDeleted = 0;
    for (let i = 0; i < RAW_N; i += BATCH) {
      const batch = rawKeys.slice(i, i + BATCH).map((Key, j) => ({ Key, ...(rawVersions[i + j] ? { VersionId: rawVersions[i + j] } : {}) }));
      const res = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch, Quiet: false } }));
      rawDeleted += res.Deleted?.length ?? 0;
    }
    const rawSeconds = Number(process.hrtime.bigint() - rawStart) / 1e9;
    const rawRate = rawDeleted / rawSeconds;

    // 4. The sweep.
    const store = new S3ObjectStore({ bucket, region: rgw.region, endpoint: rgw.endpoint, forcePathStyle: true, credentials: clientConfig.credentials, requestChecksumCalculation: 'WHEN_REQUIRED' });
    const { signer } = loadOrCreateSigner(join(work, 'secrets', 'cp.pem'), 'consentline/bench');
    const quiet = createLogger({ level: 'warn' }, new Writable({ write: (c, _e, done) => (process.stderr.write(c), done()) }));
    const service = new RetentionService({
      repo: new RetentionRepo(db),
      evidence,
      objectStore: store,
      bucket,
      signer,
      pepper: 'bench-pepper-0123456789abcdef0123456789abcdef',
      controller: { name: 'Bench' },
      clock: { now: () => Date.now() },
      log: quiet,
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
      ratio: Number((rate / rawRate).toFixed(3)),
      target: 0.7,
      sweepNodeCpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
      putSeconds: Number(putSeconds.toFixed(1)),
      machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memGB: Math.round(totalmem() / 1e9) },
      node: process.version,
      versions: { ceph, '@aws-sdk/client-s3': version('@aws-sdk/client-s3'), 'better-sqlite3': version('better-sqlite3') },
    };
    const p = (s: string) => process.stdout.write(`${s}\n`);
    p(`retention bench: N=${N} expired recordings (tiny objects, versioned bucket), batches of ${BATCH}, Ceph RGW ${ceph} on loopback`);
    p(`machine: ${figures.machine.cpu}, ${figures.machine.cores} cores, ${figures.machine.memGB} GB; Node ${process.version}; @aws-sdk/client-s3 ${figures.versions['@aws-sdk/client-s3']}`);
    p(`setup: ${N + RAW_N} PUTs in ${figures.putSeconds} s`);
    p(`raw DeleteObjects (${RAW_N} by version, sequential batches): ${figures.rawDeleteObjectsPerSecond} objects/s`);
    p(`sweep: ${report.recordings.deleted} deleted in ${figures.sweepSeconds} s = ${figures.sweepItemsPerSecond} items/s (ledger events ${events}, rows left ${left}, failed ${report.recordings.failed}, chain ${verify.ok ? 'verifies' : 'BROKEN'}); node CPU ${figures.sweepNodeCpuSeconds} s`);
    p(`ratio sweep/raw: ${figures.ratio} (target ≥ ${figures.target})`);
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
