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
// MB/s (median of batches), the ratio, CPU per MB of this process and of the Ceph daemons (when
// their pids are known), the machine load, peak RSS growth, and ends with one line holding a single
// JSON object of the figures.
//
// Environment: BENCH_N (recordings per configuration, default 200), BENCH_BATCH (default 20),
// BENCH_ENCRYPTIONS (encryptions at once; default the envelope's, 1), BENCH_VERIFY (`read-back` or
// `head`: add the pipeline's verification step to each encrypted upload; default none, as in the
// issue's definition: encrypt + upload),
// RGW_ENDPOINT_JSON (use a running gateway; otherwise scripts/rgw/start.sh is run and stopped).
// glibc's MALLOC_* variables, when set, are printed with the conditions (see docs/architecture.md,
// "Threads", for what they did here).
import { execFile, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { CreateBucketCommand, DeleteBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  AlgorithmSuiteIdentifier,
  CommitmentPolicy,
  buildClient,
} from '@aws-crypto/client-node';
import {
  createRecordingEnvelope,
  createRecordingKeyring,
  FRAME_LENGTH,
  SUITE_ID,
  withEncryptionThreads,
  type RecordingEnvelope,
} from '../src/recordings/crypto/index.js';
import { S3ObjectStore } from '../src/recordings/storage/index.js';
import { verifyStoredObject } from '../src/recordings/storage/verify.js';

const N = Number(process.env.BENCH_N ?? 200);
const BATCH = Math.max(1, Math.min(N, Number(process.env.BENCH_BATCH ?? 20)));
const THREADS = Number(process.env.BENCH_THREADS ?? 1);
/** Set for the second process (main-thread encryption); it uses the first one's gateway. */
const CHILD = process.env.BENCH_CHILD === '1';
const VERIFY = process.env.BENCH_VERIFY === 'read-back' || process.env.BENCH_VERIFY === 'head' ? process.env.BENCH_VERIFY : 'none';
/** glibc allocator settings this process was started with (they change how often it page-faults). */
const MALLOC_ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('MALLOC_')));
const MALLOC_LABEL = Object.entries(MALLOC_ENV).map(([k, v]) => `${k}=${v}`).join(' ') || 'its defaults';
const DISTINCT_FILES = 8;
const SECONDS = 300;
const PCM_BYTES = SECONDS * 8000 * 2; // 8 kHz, 16-bit, mono: 4.8 MB
const repo = fileURLToPath(new URL('..', import.meta.url));
const MB = 1e6;

interface Rgw {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  pids?: Record<string, number>;
}

function log(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

function wav(seed: number): Buffer {
  const b = Buffer.alloc(44 + PCM_BYTES);
  b.write('RIFF', 0);
  b.writeUInt32LE(36 + PCM_BYTES, 4);
  b.write('WAVEfmt ', 8);
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20); // PCM
  b.writeUInt16LE(1, 22); // mono
  b.writeUInt32LE(8000, 24);
  b.writeUInt32LE(16000, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36);
  b.writeUInt32LE(PCM_BYTES, 40);
  // deterministic noise-like speech band: xorshift32, low-passed a little
  let x = (0x9e3779b9 ^ seed) >>> 0 || 1;
  let prev = 0;
  for (let i = 44; i < b.length; i += 2) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    const s = ((x & 0xffff) - 0x8000) >> 2;
    prev = (prev + s) >> 1;
    b.writeInt16LE(prev, i);
  }
  return b;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function inFlight<T>(items: T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

function version(pkg: string): string {
  try {
    return JSON.parse(readFileSync(join(repo, 'node_modules', pkg, 'package.json'), 'utf8')).version as string;
  } catch {
    return 'unknown';
  }
}

/** CPU ms (user + system) the process has used so far, from /proc; null when unknown. */
function cpuMsOf(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // USER_HZ = 100 on Linux
  } catch {
    return null;
  }
}

function loadAvg(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'unknown';
  }
}

/** One SHA-256 pass over `data` (MB/s): plaintext and ciphertext each need one. */
function sha256MBps(data: Buffer): number {
  const runs: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    createHash('sha256').update(data).digest();
    runs.push(data.length / MB / ((performance.now() - t) / 1000));
  }
  return Math.round(median(runs));
}

function rssOf(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Encryption alone, in memory: our settings against the SDK defaults (signed suite, 4 KiB frames). */
async function encryptOnly(keyring: Awaited<ReturnType<typeof createRecordingKeyring>>, data: Buffer): Promise<Record<string, number>> {
  const client = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
  const variants = {
    [`ours_unsigned_${FRAME_LENGTH / 1024}KiB`]: { suiteId: SUITE_ID, frameLength: FRAME_LENGTH },
    sdk_default_signed_4KiB: { suiteId: AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY_ECDSA_P384, frameLength: 4096 },
    unsigned_4KiB: { suiteId: SUITE_ID, frameLength: 4096 },
  };
  const out: Record<string, number> = {};
  for (const [name, opts] of Object.entries(variants)) {
    const runs: number[] = [];
    for (let r = 0; r < 3; r++) {
      const t = performance.now();
      await pipeline(Readable.from([data]), client.encryptStream(keyring.encryptKeyring, opts), new Writable({ write: (_c, _e, cb) => cb() }));
      runs.push(data.length / MB / ((performance.now() - t) / 1000));
    }
    out[name] = Math.round(median(runs));
  }
  return out;
}

interface ChildLevel {
  plainMBps: number;
  encryptedMBps: number;
  ratio: number;
}
interface ChildFigures {
  serial: ChildLevel;
  inFlight2: ChildLevel;
  inFlight4: ChildLevel;
  nodeCpuMsPerMB: Record<string, number>;
  peakRssGrowthMB: number;
  load: { start: string; end: string };
}

/** The same batches with encryption on the main thread, in a process of its own (see the header). */
async function runOnMainThread(rgw: Rgw, work: string): Promise<ChildFigures> {
  const endpointFile = join(work, 'rgw-endpoint.json');
  writeFileSync(endpointFile, JSON.stringify(rgw));
  log('encrypting on the main thread: the same batches in a second process, with its own plain baseline');
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
    env: { ...process.env, BENCH_THREADS: '0', BENCH_CHILD: '1', RGW_ENDPOINT_JSON: endpointFile },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`main-thread bench process exited with ${code}`);
  return JSON.parse(out.trim().split('\n').pop()!) as ChildFigures;
}

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
    const files = Array.from({ length: DISTINCT_FILES }, (_, i) => {
      const buf = wav(i + 1);
      const path = join(work, `rec-${i}.wav`);
      writeFileSync(path, buf);
      return { path, bytes: buf.length, sha256: createHash('sha256').update(buf).digest('hex') };
    });
    const keyConfig = { mode: 'local', keyFile: join(work, 'bench.key') } as const;
    const keyring = await createRecordingKeyring(keyConfig);
    // "encrypted" as the service builds it (recordings.worker.encryptionThreads, default 1), or
    // with BENCH_THREADS=0 on the main thread (where BENCH_ENCRYPTIONS=n lets n run at once).
    const mainThread = createRecordingEnvelope(keyring, process.env.BENCH_ENCRYPTIONS ? { concurrentEncryptions: Number(process.env.BENCH_ENCRYPTIONS) } : {});
    const envelope: RecordingEnvelope = THREADS > 0 ? withEncryptionThreads(mainThread, keyConfig, { threads: THREADS }) : mainThread;
    /** What the pipeline does: open the recording, encrypt it into the work dir. */
    const encryptWith = async (env: RecordingEnvelope, src: string, bytes: number, out: string, callId: string) => {
      const handle = await open(src);
      try {
        return await env.encryptOpenFile(handle, out, { callId, plaintextBytes: bytes });
      } finally {
        await handle.close();
      }
    };
    const bucket = `cl-bench-${Date.now().toString(36)}`;
    const store = new S3ObjectStore({
      bucket,
      region: rgw.region,
      endpoint: rgw.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey },
      requestChecksumCalculation: 'WHEN_REQUIRED',
    });
    const s3 = store.client;
    await s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: rgw.region as 'eu-central-1' } }));

    const plainPut = async (i: number): Promise<string> => {
      const f = files[i % DISTINCT_FILES]!;
      const key = `plain/${i}.wav`;
      // Read as the store reads its bodies (1 MiB): the baseline gets the cheaper reads too.
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: createReadStream(f.path, { highWaterMark: 1024 * 1024 }), ContentLength: f.bytes }));
      return key;
    };
    /** The pipeline's `verified` step, when BENCH_VERIFY asks for it. */
    const verified = async (key: string, expected: { bytes: number; sha256: string }): Promise<void> => {
      if (VERIFY === 'read-back') await verifyStoredObject(store, key, expected);
      else if (VERIFY === 'head') await store.head(key);
    };
    const encryptedPutWith = (env: RecordingEnvelope) => async (i: number): Promise<string> => {
      const f = files[i % DISTINCT_FILES]!;
      const key = `enc/${i}.wav.enc`;
      const encPath = join(work, `enc-${i}.wav.enc`);
      const r = await encryptWith(env, f.path, f.bytes, encPath, `bench-${i}`);
      await store.put(key, encPath, { bytes: r.ciphertextBytes, sha256: r.ciphertextSha256 });
      await verified(key, { bytes: r.ciphertextBytes, sha256: r.ciphertextSha256 });
      await unlink(encPath);
      return key;
    };

    const encryptedPut = encryptedPutWith(envelope);
    // warm-up (JIT, connections), not measured
    for (let i = 0; i < 3; i++) {
      await store.delete([await plainPut(1e6 + i), await encryptedPut(1e6 + i)]);
    }
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    /** Peak RSS growth per mode (MB), to tell which path holds the memory. */
    const peakByMode: Record<string, number> = {};
    let currentMode = '';
    const sampler = setInterval(() => {
      const rss = process.memoryUsage().rss;
      peak = Math.max(peak, rss);
      if (currentMode) peakByMode[currentMode] = Math.max(peakByMode[currentMode] ?? 0, Math.round(((rss - baseline) / MB) * 10) / 10);
    }, 20);

    // Serial, but the encryption of recording i+1 overlaps the upload of recording i: what an
    // upload queue with separate "encrypt" and "upload" stages does.
    const pipelinedRun = async (ids: number[]): Promise<string[]> => {
      const keys: string[] = [];
      const encrypted: Promise<{ path: string; bytes: number; sha256: string }>[] = [];
      const enc = (i: number): Promise<{ path: string; bytes: number; sha256: string }> => {
        const f = files[i % DISTINCT_FILES]!;
        const path = join(work, `pipe-${i}.wav.enc`);
        return encryptWith(envelope, f.path, f.bytes, path, `bench-${i}`).then((r) => ({ path, bytes: r.ciphertextBytes, sha256: r.ciphertextSha256 }));
      };
      encrypted[0] = enc(ids[0]!);
      for (let j = 0; j < ids.length; j++) {
        const e = await encrypted[j]!;
        if (j + 1 < ids.length) encrypted[j + 1] = enc(ids[j + 1]!);
        const key = `pipe/${ids[j]}.wav.enc`;
        await store.put(key, e.path, { bytes: e.bytes, sha256: e.sha256 });
        await verified(key, e);
        await unlink(e.path);
        keys.push(key);
      }
      return keys;
    };

    const daemons = Object.entries(rgw.pids ?? {});
    const daemonCpu = (): number | null => {
      let sum = 0;
      for (const [, pid] of daemons) {
        const ms = cpuMsOf(pid);
        if (ms === null) return null;
        sum += ms;
      }
      return daemons.length ? sum : null;
    };
    type Mode = 'plain' | 'encrypted' | 'pipelined';
    const put: Record<Exclude<Mode, 'pipelined'>, (i: number) => Promise<string>> = { plain: plainPut, encrypted: encryptedPut };
    interface Acc { b: number[]; bytes: number; ms: number; cpu: number; daemonCpu: number | null; loopP99: number[]; loopMax: number }
    interface Result {
      batchesMBps: number[];
      medianMBps: number;
      overallMBps: number;
      nodeCpuMsPerMB: number;
      rgwCpuMsPerMB: number | null;
      /** How late the main thread's timers ran meanwhile (median of the batches' p99, and the worst): what call handling would wait. */
      eventLoopDelayMs: { p99: number; max: number };
      bytes: number;
    }
    const results: Record<string, Result> = {};
    for (const conc of [1, 2, 4]) {
      const acc: Partial<Record<Mode, Acc>> = {};
      const modes: Mode[] = conc === 1 && !CHILD ? ['plain', 'encrypted', 'pipelined'] : ['plain', 'encrypted'];
      // batches alternate plain / encrypted so drift (GC in RGW, page cache, other load) hits both alike
      for (let start = 0; start < N; start += BATCH) {
        const ids = Array.from({ length: Math.min(BATCH, N - start) }, (_, j) => start + j);
        for (const name of modes) {
          const a = (acc[name] ??= { b: [], bytes: 0, ms: 0, cpu: 0, daemonCpu: 0, loopP99: [], loopMax: 0 });
          // A fresh monitor per batch: a re-enabled one counts the time it was off as one delay.
          const loopDelay = monitorEventLoopDelay({ resolution: 5 });
          const keys: string[] = [];
          const d0 = daemonCpu();
          const t = performance.now();
          const cpu0 = process.cpuUsage();
          loopDelay.enable();
          currentMode = name;
          if (name === 'pipelined') keys.push(...(await pipelinedRun(ids)));
          else await inFlight(ids, conc, async (i) => void keys.push(await put[name](i)));
          const ms = performance.now() - t;
          loopDelay.disable();
          currentMode = '';
          a.loopP99.push(loopDelay.percentile(99) / 1e6);
          a.loopMax = Math.max(a.loopMax, loopDelay.max / 1e6);
          const cpu = process.cpuUsage(cpu0);
          const d1 = daemonCpu();
          a.cpu += (cpu.user + cpu.system) / 1000;
          a.daemonCpu = a.daemonCpu === null || d0 === null || d1 === null ? null : a.daemonCpu + (d1 - d0);
          const bytes = ids.reduce((sum, i) => sum + files[i % DISTINCT_FILES]!.bytes, 0);
          a.b.push(bytes / MB / (ms / 1000));
          a.bytes += bytes;
          a.ms += ms;
          await store.delete(keys); // keep the RAM-backed OSD small; not timed
        }
        log(`${conc} in flight: ${Math.min(start + BATCH, N)}/${N} (load ${loadAvg()})`);
      }
      for (const [name, a] of Object.entries(acc)) {
        const mb = a.bytes / MB;
        results[`${name}_c${conc}`] = {
          batchesMBps: a.b.map((x) => Math.round(x * 10) / 10),
          medianMBps: Math.round(median(a.b) * 10) / 10,
          overallMBps: Math.round((mb / (a.ms / 1000)) * 10) / 10,
          nodeCpuMsPerMB: Math.round((a.cpu / mb) * 10) / 10,
          rgwCpuMsPerMB: a.daemonCpu === null ? null : Math.round((a.daemonCpu / mb) * 10) / 10,
          eventLoopDelayMs: { p99: Math.round(median(a.loopP99) * 10) / 10, max: Math.round(a.loopMax * 10) / 10 },
          bytes: a.bytes,
        };
      }
    }
    clearInterval(sampler);
    const rssGrowthMB = Math.round(((peak - baseline) / MB) * 10) / 10;
    const mainThreadRun = THREADS > 0 && !CHILD ? await runOnMainThread(rgw, work) : null;
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
    await s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => {});
    await store.close();
    await envelope.close();

    let ceph = 'unknown';
    try {
      ceph = execFileSync('radosgw', ['--version'], { encoding: 'utf8' }).trim().split('\n')[0]!.replace(/^ceph version /, '');
    } catch {
      /* not installed locally: remote endpoint */
    }
    const r = (k: string): Result => results[k]!;
    const ratio = (enc: string, plain: string): number => Math.round((r(enc).medianMBps / r(plain).medianMBps) * 100) / 100;
    const cpuPerMB = (k: string): number | null => (r(k).rgwCpuMsPerMB === null ? null : r(k).nodeCpuMsPerMB + r(k).rgwCpuMsPerMB!);
    // When both cores are busy (4 in flight), throughput is bounded by CPU ms per MB, all processes
    // together: this is the best ratio the encrypted path could reach with the same CPU cost.
    const cpuBoundRatio = (enc: string, plain: string): number | null => {
      const e = cpuPerMB(enc);
      const q = cpuPerMB(plain);
      return e === null || q === null ? null : Math.round((q / e) * 100) / 100;
    };
    /** The main-thread process's figures at `c` in flight, against its own plain PUT. */
    const mainThreadLevel = (c: number) => {
      const m = mainThreadRun && (c === 1 ? mainThreadRun.serial : c === 2 ? mainThreadRun.inFlight2 : mainThreadRun.inFlight4);
      return m ? { mainThreadMBps: m.encryptedMBps, mainThreadPlainMBps: m.plainMBps, mainThreadRatio: m.ratio } : {};
    };
    const level = (c: number, enc: string) => ({
      plainMBps: r(`plain_c${c}`).medianMBps,
      encryptedMBps: r(enc).medianMBps,
      ratio: ratio(enc, `plain_c${c}`),
      cpuBoundRatio: cpuBoundRatio(enc, `plain_c${c}`),
      ...mainThreadLevel(c),
    });
    const figures = {
      bench: 'recordings',
      n: N,
      batch: BATCH,
      verify: VERIFY,
      malloc: Object.keys(MALLOC_ENV).length ? MALLOC_ENV : 'glibc defaults',
      encryptionThreads: THREADS,
      encryptionsAtOnce: THREADS > 0 ? THREADS : Number(process.env.BENCH_ENCRYPTIONS ?? 1),
      objectBytes: 44 + PCM_BYTES,
      load: { start: loadAtStart, end: loadAvg() },
      serial: { ...level(1, 'encrypted_c1'), ...(results.pipelined_c1 ? { encryptAheadMBps: r('pipelined_c1').medianMBps, encryptAheadRatio: ratio('pipelined_c1', 'plain_c1') } : {}) },
      inFlight2: level(2, 'encrypted_c2'),
      inFlight4: level(4, 'encrypted_c4'),
      overallMBps: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.overallMBps])),
      nodeCpuMsPerMB: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.nodeCpuMsPerMB])),
      rgwCpuMsPerMB: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.rgwCpuMsPerMB])),
      eventLoopDelayP99Ms: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.eventLoopDelayMs.p99])),
      eventLoopDelayMaxMs: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.eventLoopDelayMs.max])),
      encryptOnlyMBps: encOnly,
      encryptingLoopDelayMs,
      sha256MBps: shaMBps,
      peakRssGrowthMB: rssGrowthMB,
      ...(mainThreadRun
        ? { mainThreadProcess: { nodeCpuMsPerMB: mainThreadRun.nodeCpuMsPerMB, peakRssGrowthMB: mainThreadRun.peakRssGrowthMB, load: mainThreadRun.load } }
        : {}),
      peakRssGrowthByModeMB: peakByMode,
      bytesThroughMB: Math.round(Object.values(results).reduce((sum, v) => sum + v.bytes, 0) / MB),
      rgwRssMB: Object.fromEntries(Object.entries(rgw.pids ?? {}).map(([k, pid]) => [k, Math.round((rssOf(pid) ?? 0) / MB)])),
      targets: { ratioMin: 0.8, rssGrowthMaxMB: 64 },
      machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memGB: Math.round(totalmem() / 1e9) },
      node: process.version,
      versions: {
        '@aws-crypto/client-node': version('@aws-crypto/client-node'),
        '@aws-sdk/client-s3': version('@aws-sdk/client-s3'),
        '@aws-sdk/lib-storage': version('@aws-sdk/lib-storage'),
        ceph,
      },
    };
    const p = (s: string): void => void process.stdout.write(s + '\n');
    const f = figures;
    const line = (label: string, l: ReturnType<typeof level>): string =>
      `${label} plain PUT ${l.plainMBps} MB/s, encrypt+upload ${l.encryptedMBps} MB/s, ratio ${l.ratio} (target ≥ 0.8); CPU-bound ceiling ${l.cpuBoundRatio ?? 'n/a'}` +
      (l.mainThreadMBps === undefined ? '' : `; encrypting on the main thread instead (second process) ${l.mainThreadMBps} MB/s against its plain PUT ${l.mainThreadPlainMBps} MB/s, ratio ${l.mainThreadRatio}`);
    p(`recordings bench: N=${N} × ${(f.objectBytes / MB).toFixed(2)} MB WAV (8 kHz 16-bit mono, 5 min), batches of ${BATCH}, verify step ${VERIFY}, encryption threads ${THREADS} (0 = main thread), encryptions at once ${f.encryptionsAtOnce}, Ceph RGW ${ceph} on loopback`);
    p(`glibc malloc: ${MALLOC_LABEL}`);
    p(`machine: ${f.machine.cpu}, ${f.machine.cores} cores, ${f.machine.memGB} GB; load average ${f.load.start} at start, ${f.load.end} at end; Node ${process.version}; @aws-crypto/client-node ${f.versions['@aws-crypto/client-node']}, @aws-sdk/client-s3 ${f.versions['@aws-sdk/client-s3']}`);
    p(`${line('1 in flight:', f.serial)}` + (f.serial.encryptAheadMBps === undefined ? '' : `; encrypt-ahead ${f.serial.encryptAheadMBps} MB/s, ratio ${f.serial.encryptAheadRatio}`));
    p(line('2 in flight (the pipeline default, 2 workers):', f.inFlight2));
    p(line('4 in flight:', f.inFlight4));
    p(`CPU ms per MB, this process: ${JSON.stringify(f.nodeCpuMsPerMB)}; Ceph daemons (mon+osd+rgw): ${JSON.stringify(f.rgwCpuMsPerMB)}`);
    if (mainThreadRun) p(`CPU ms per MB, the main-thread process: ${JSON.stringify(mainThreadRun.nodeCpuMsPerMB)}; its peak RSS growth ${mainThreadRun.peakRssGrowthMB} MB`);
    p(`main-thread event-loop delay p99 / max (ms), what call handling waits meanwhile: ${Object.entries(results).map(([k, v]) => `${k} ${v.eventLoopDelayMs.p99}/${v.eventLoopDelayMs.max}`).join(', ')}`);
    p(`main-thread event-loop delay p99 / max (ms) while 20 recordings are encrypted, no uploads: on the main thread ${encryptingLoopDelayMs.mainThread.p99}/${encryptingLoopDelayMs.mainThread.max}` +
      (encryptingLoopDelayMs.threads ? `, on ${THREADS} encryption thread(s) ${encryptingLoopDelayMs.threads.p99}/${encryptingLoopDelayMs.threads.max}` : ''));
    p(`encryption alone in memory (MB/s): ${JSON.stringify(encOnly)}; one SHA-256 pass ${shaMBps} MB/s (the encrypted path hashes plaintext and ciphertext)`);
    p(`peak RSS growth of this process: ${rssGrowthMB} MB while ${f.bytesThroughMB} MB passed (target < 64 MB), by mode ${JSON.stringify(peakByMode)}; Ceph daemons RSS MB: ${JSON.stringify(f.rgwRssMB)}`);
    p(JSON.stringify(figures));
  } finally {
    if (stop) await stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
