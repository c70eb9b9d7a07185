// npm run bench:recordings
//
// Encrypt + upload of recordings to a real S3 (Ceph RGW on loopback) against a plain PutObject of
// the same WAV bytes with the same client, in the same run, in alternating batches, at 1, 2 and 4
// uploads in flight. "encrypted" at N in flight is what the pipeline's N workers do (encrypt into
// the work dir, then PUT); "encrypt-ahead" keeps one upload in flight and encrypts the next
// recording meanwhile. Encrypting on the main thread instead (recordings.worker.encryptionThreads
// 0) is measured in a second process with its own plain baseline: the service runs one mode, and
// one mode's garbage must not change how V8 collects the main heap during the others. The heap is
// never collected by hand between batches either: a global.gc() before each batch left V8 running
// a full collection every two uploads in every mode (17-22 per 40, against 0-2 without). Prints
// MB/s (median of batches), the ratio, CPU per MB of this process, of the Ceph daemons (when
// their pids are known) and of the whole machine (/proc/stat: also the kernel's loopback and
// writeback work, which no process is charged for reliably), the share of the cores busy, the
// machine load, and peak RSS growth: of this process over all modes, and of the encrypted path (the
// pipeline's default) and the plain PUT each alone in a process of their own while 1 GB passes, as
// the issue's memory target means it (in one process the plain PUTs' garbage sets the peak). It
// ends with one line holding a single JSON object of the figures.
// It also measures SHA-256 and AES-GCM alone, and from them the ratio the encrypted path could
// reach if it cost nothing beyond those two hashes and the cipher ("zero-overhead ceiling"): where
// the plain PUT keeps the cores busy, no encrypted path does better.
// Issue 24: `cpuPerMbRatio` = an encrypted path's own CPU per MB (this process's CPU per MB minus the
// plain PUT's at the same level) over one SHA-256 pass + AES-256-GCM (CPU time, same run), for the
// pipeline's path (encrypt into the work dir, then PUT) and for the streamed path (encrypt straight
// into the PUT body on the main thread, no ciphertext file; `stream1h` hashes the plaintext only,
// `stream2h` both sides); and peak RSS growth per upload in flight, each path alone in its process.
//
// Environment: BENCH_N (recordings per configuration, default 200), BENCH_BATCH (default 20),
// BENCH_ENCRYPTIONS (encryptions at once; default the envelope's, 1), BENCH_STAGED=1 (also run
// encryption decoupled from the uploads at 2 and 4 in flight), BENCH_VERIFY (`read-back` or
// `head`: add the pipeline's verification step to each encrypted upload; default none, as in the
// issue's definition: encrypt + upload),
// RGW_ENDPOINT_JSON (use a running gateway; otherwise scripts/rgw/start.sh is run and stopped).
// glibc's MALLOC_* variables, when set, are printed with the conditions (see docs/benchmarks.md,
// "glibc malloc thresholds", for what they did here).
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { DeleteBucketCommand } from '@aws-sdk/client-s3';
import type { RecordingEnvelope } from '../src/recordings/crypto/index.js';
import { alternatingBatches } from './recordings/alternating.js';
import { memoryOfPath, runOnMainThread } from './recordings/children.js';
import { CHILD, DISTINCT_FILES, log, MB, repo, RSS_PATH, THREADS, type Rgw } from './recordings/conditions.js';
import { aesGcmMBps, aesGcmOnce, cpuMsPerMB, encryptOnly, loadAvg, sha256MBps, sha256Once } from './recordings/measure.js';
import { printReport } from './recordings/report.js';
import { rssOfOnePath } from './recordings/rss-path.js';
import { openUploads } from './recordings/uploads.js';

async function main(): Promise<void> {
  const loadAtStart = loadAvg();
  const work = mkdtempSync(join(tmpdir(), 'cl-bench-'));
  let rgw: Rgw;
  let stop: (() => Promise<void>) | null = null;
  if (process.env.RGW_ENDPOINT_JSON) {
    rgw = JSON.parse(readFileSync(process.env.RGW_ENDPOINT_JSON, 'utf8')) as Rgw;
  } else {
    const env = { ...process.env, RGW_DIR: join(work, 'rgw') };
    log('starting Ceph RGW via scripts/rgw/start.sh');
    const out = execFileSync('bash', [join(repo, 'scripts/rgw/start.sh')], { env, stdio: ['ignore', 'pipe', 'inherit'], timeout: 600_000 });
    rgw = JSON.parse(out.toString().trim().split('\n').pop()!) as Rgw;
    stop = async () => {
      await promisify(execFile)('bash', [join(repo, 'scripts/rgw/stop.sh')], { env }).catch(() => {});
    };
  }
  try {
    const u = await openUploads(rgw, work);
    const { files, keyring, mainThread, envelope, encryptWith, bucket, store, s3, plainPut, encryptedPut } = u;
    // warm-up (JIT, connections), not measured
    for (let i = 0; i < 3; i++) {
      await store.delete([await plainPut(1e6 + i), await encryptedPut(1e6 + i)]);
    }
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    if (RSS_PATH) return await rssOfOnePath(u, RSS_PATH, baseline);
    const { results, peakByMode, peak } = await alternatingBatches(u, rgw, baseline);
    const rssGrowthMB = Math.round(((peak - baseline) / MB) * 10) / 10;
    const mainThreadRun = THREADS > 0 && !CHILD ? await runOnMainThread(rgw, work) : null;
    const pathMemory = CHILD
      ? null
      : {
          encrypted: await memoryOfPath(rgw, work, 'encrypted'),
          plain: await memoryOfPath(rgw, work, 'plain'),
          streamed: await memoryOfPath(rgw, work, 'streamed'),
          streamed4: await memoryOfPath(rgw, work, 'streamed', 4),
        };
    const sample = Buffer.concat(Array.from({ length: 10 }, () => readFileSync(files[0]!.path)));
    const encOnly = await encryptOnly(keyring, sample);
    // Encryption alone (no uploads, so little else competes for the cores): how late the main
    // thread's timers run while recordings are encrypted on it, and while a thread does it.
    const loopWhileEncrypting = async (env: RecordingEnvelope): Promise<{ p99: number; max: number }> => {
      const h = monitorEventLoopDelay({ resolution: 1 });
      h.enable();
      for (let i = 0; i < 20; i++) {
        const f = files[i % DISTINCT_FILES]!;
        await encryptWith(env, f.path, f.bytes, join(work, 'loop.enc'), `loop-${i}`);
      }
      h.disable();
      return { p99: Math.round(h.percentile(99) / 1e4) / 100, max: Math.round(h.max / 1e4) / 100 };
    };
    const encryptingLoopDelayMs = {
      mainThread: await loopWhileEncrypting(mainThread),
      ...(THREADS > 0 ? { threads: await loopWhileEncrypting(envelope) } : {}),
    };
    const shaMBps = sha256MBps(sample);
    const aesMBps = aesGcmMBps(sample);
    // The encrypted path's least possible extra CPU: two SHA-256 passes and AES-GCM at the rates
    // just measured, nothing else (no SDK, no copies, no work-dir file).
    const floorMsPerMB = (2 * 1000) / shaMBps + 1000 / aesMBps;
    // The floor of issue 24's cpuPerMbRatio: one SHA-256 pass and AES-256-GCM over the same bytes,
    // in CPU time (this thread), measured here in the same run.
    const oneHashFloorCpuMsPerMB = cpuMsPerMB(sample, sha256Once) + cpuMsPerMB(sample, (d) => aesGcmOnce(d));
    await s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => {});
    await store.close();
    await envelope.close();

    printReport({ rgw, loadAtStart, results, peakByMode, rssGrowthMB, mainThreadRun, pathMemory, encOnly, encryptingLoopDelayMs, shaMBps, aesMBps, floorMsPerMB, oneHashFloorCpuMsPerMB });
  } finally {
    if (stop) await stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
