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
//
// Environment: BENCH_N (recordings per configuration, default 200), BENCH_BATCH (default 20),
// BENCH_ENCRYPTIONS (encryptions at once; default the envelope's, 1), BENCH_STAGED=1 (also run
// encryption decoupled from the uploads at 2 and 4 in flight), BENCH_VERIFY (`read-back` or
// `head`: add the pipeline's verification step to each encrypted upload; default none, as in the
// issue's definition: encrypt + upload),
// RGW_ENDPOINT_JSON (use a running gateway; otherwise scripts/rgw/start.sh is run and stopped).
// glibc's MALLOC_* variables, when set, are printed with the conditions (see docs/architecture.md,
// "Threads", for what they did here).
import { execFile, execFileSync, spawn } from 'node:child_process';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
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
/**
 * Set for a process that measures one path's memory alone (`encrypted`: the pipeline's default, two
 * uploads in flight with the encryption thread; `plain`: the baseline): in the main process the
 * plain PUTs' garbage and the encrypted path's share one heap and one peak.
 */
const RSS_PATH = process.env.BENCH_RSS === 'encrypted' || process.env.BENCH_RSS === 'plain' ? process.env.BENCH_RSS : null;
/** Also measure encryption decoupled from the uploads at 2 and 4 in flight (see stagedRun). */
const STAGED = process.env.BENCH_STAGED === '1';
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

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ([resolve, reject] = [res, rej]));
  return { promise, resolve, reject };
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

/** MB/s of `work` over `data`, the median of five runs. */
function rateMBps(data: Buffer, work: (data: Buffer) => void): number {
  const runs: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    work(data);
    runs.push(data.length / MB / ((performance.now() - t) / 1000));
  }
  return Math.round(median(runs));
}

/** One SHA-256 pass over `data` (MB/s): plaintext and ciphertext each need one. */
function sha256MBps(data: Buffer): number {
  return rateMBps(data, (d) => void createHash('sha256').update(d).digest());
}

interface MachineCpu {
  busyMs: number;
  totalMs: number;
}

/** CPU time of all cores so far, from the first line of /proc/stat (iowait counts as idle). */
function machineCpu(): MachineCpu {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    return { busyMs: (total - f[3]! - f[4]!) * 10, totalMs: total * 10 };
  } catch {
    return { busyMs: 0, totalMs: 0 };
  }
}

/** AES-256-GCM in 1 MiB updates (MB/s), the frame size the envelope uses. */
function aesGcmMBps(data: Buffer): number {
  const key = randomBytes(32);
  return rateMBps(data, (d) => {
    for (let o = 0; o < d.length; o += FRAME_LENGTH) {
      const c = createCipheriv('aes-256-gcm', key, randomBytes(12));
      c.update(d.subarray(o, o + FRAME_LENGTH));
      c.final();
    }
  });
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

/** Runs this script again with `env` added, on the same gateway; returns its last stdout line as JSON. */
async function runChild<T>(rgw: Rgw, work: string, env: Record<string, string>): Promise<T> {
  const endpointFile = join(work, 'rgw-endpoint.json');
  writeFileSync(endpointFile, JSON.stringify(rgw));
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
    env: { ...process.env, ...env, RGW_ENDPOINT_JSON: endpointFile },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`bench process (${JSON.stringify(env)}) exited with ${code}`);
  return JSON.parse(out.trim().split('\n').pop()!) as T;
}

/** The same batches with encryption on the main thread, in a process of its own (see the header). */
function runOnMainThread(rgw: Rgw, work: string): Promise<ChildFigures> {
  log('encrypting on the main thread: the same batches in a second process, with its own plain baseline');
  return runChild(rgw, work, { BENCH_THREADS: '0', BENCH_CHILD: '1' });
}

interface PathMemory {
  path: 'encrypted' | 'plain';
  peakRssGrowthMB: number;
  bytesThroughMB: number;
}

/** One path's peak RSS growth while 1 GB passes, in a process of its own. */
function memoryOfPath(rgw: Rgw, work: string, path: PathMemory['path']): Promise<PathMemory> {
  log(`peak RSS of the ${path} path alone: 1 GB at 2 in flight in a process of its own`);
  return runChild(rgw, work, { BENCH_RSS: path, BENCH_THREADS: '1' });
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
    if (RSS_PATH) {
      const sampling = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
      const ids = Array.from({ length: Math.ceil(1e9 / files[0]!.bytes) }, (_, i) => i);
      for (let start = 0; start < ids.length; start += BATCH) {
        const keys: string[] = [];
        await inFlight(ids.slice(start, start + BATCH), 2, async (i) => void keys.push(await (RSS_PATH === 'plain' ? plainPut(i) : encryptedPut(i))));
        await store.delete(keys);
      }
      clearInterval(sampling);
      await s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => {});
      await store.close();
      await envelope.close();
      const bytes = ids.reduce((sum, i) => sum + files[i % DISTINCT_FILES]!.bytes, 0);
      const mem: PathMemory = { path: RSS_PATH, peakRssGrowthMB: Math.round(((peak - baseline) / MB) * 10) / 10, bytesThroughMB: Math.round(bytes / MB) };
      process.stdout.write(JSON.stringify(mem) + '\n');
      return;
    }
    /** Peak RSS growth per mode (MB), to tell which path holds the memory. */
    const peakByMode: Record<string, number> = {};
    let currentMode = '';
    const sampler = setInterval(() => {
      const rss = process.memoryUsage().rss;
      peak = Math.max(peak, rss);
      if (currentMode) peakByMode[currentMode] = Math.max(peakByMode[currentMode] ?? 0, Math.round(((rss - baseline) / MB) * 10) / 10);
    }, 20);

    // Encryption apart from the uploads: `encryptors` encrypt in order, recording j starting once
    // the upload of recording j - `ahead` has started, while `uploads` upload in order. With one of
    // each and ahead 1 ("pipelined", encrypt-ahead), the encryption of recording j+1 overlaps the
    // upload of recording j: an upload queue with separate encrypt and upload stages. "Staged"
    // (BENCH_STAGED=1) keeps `conc` uploads in flight with the encryption thread(s) up to `conc + 1`
    // ahead: the best a pipeline with separate encrypt and upload workers could do.
    type Encrypted = { path: string; bytes: number; sha256: string };
    const encryptAheadRun = async (ids: number[], o: { encryptors: number; uploads: number; ahead: number; prefix: string }): Promise<string[]> => {
      const ready = ids.map(() => deferred<Encrypted>());
      const uploadStarted = ids.map(() => deferred<void>());
      let toEncrypt = 0;
      let toUpload = 0;
      const keys: string[] = [];
      const encryptor = async (): Promise<void> => {
        for (let j = toEncrypt++; j < ids.length; j = toEncrypt++) {
          if (j >= o.ahead) await uploadStarted[j - o.ahead]!.promise;
          const f = files[ids[j]! % DISTINCT_FILES]!;
          const path = join(work, `${o.prefix}-${ids[j]}.wav.enc`);
          await encryptWith(envelope, f.path, f.bytes, path, `bench-${ids[j]}`).then(
            (r) => ready[j]!.resolve({ path, bytes: r.ciphertextBytes, sha256: r.ciphertextSha256 }),
            (e: unknown) => ready[j]!.reject(e),
          );
        }
      };
      const uploader = async (): Promise<void> => {
        for (let j = toUpload++; j < ids.length; j = toUpload++) {
          const e = await ready[j]!.promise;
          uploadStarted[j]!.resolve();
          const key = `${o.prefix}/${ids[j]}.wav.enc`;
          await store.put(key, e.path, { bytes: e.bytes, sha256: e.sha256 });
          await verified(key, e);
          await unlink(e.path);
          keys.push(key);
        }
      };
      await Promise.all([...Array.from({ length: o.encryptors }, encryptor), ...Array.from({ length: o.uploads }, uploader)]);
      return keys;
    };
    const pipelinedRun = (ids: number[]): Promise<string[]> => encryptAheadRun(ids, { encryptors: 1, uploads: 1, ahead: 1, prefix: 'pipe' });
    const stagedRun = (ids: number[], conc: number): Promise<string[]> =>
      encryptAheadRun(ids, { encryptors: Math.max(1, THREADS), uploads: conc, ahead: conc + 1, prefix: 'staged' });

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
    type Mode = 'plain' | 'encrypted' | 'pipelined' | 'staged';
    const put: Record<Exclude<Mode, 'pipelined' | 'staged'>, (i: number) => Promise<string>> = { plain: plainPut, encrypted: encryptedPut };
    interface Acc { b: number[]; bytes: number; ms: number; cpu: number; daemonCpu: number | null; machine: MachineCpu; loopP99: number[]; loopMax: number }
    interface Result {
      batchesMBps: number[];
      medianMBps: number;
      overallMBps: number;
      nodeCpuMsPerMB: number;
      rgwCpuMsPerMB: number | null;
      /** All cores, every process and the kernel (softirqs, writeback): what the batch cost the machine. */
      machineCpuMsPerMB: number;
      /** Share of the machine's cores busy meanwhile (1 = CPU-bound). */
      busyShare: number;
      /** How late the main thread's timers ran meanwhile (median of the batches' p99, and the worst): what call handling would wait. */
      eventLoopDelayMs: { p99: number; max: number };
      bytes: number;
    }
    const results: Record<string, Result> = {};
    for (const conc of [1, 2, 4]) {
      const acc: Partial<Record<Mode, Acc>> = {};
      const modes: Mode[] = conc === 1 && !CHILD ? ['plain', 'encrypted', 'pipelined'] : STAGED && !CHILD ? ['plain', 'encrypted', 'staged'] : ['plain', 'encrypted'];
      // batches alternate plain / encrypted so drift (GC in RGW, page cache, other load) hits both alike
      for (let start = 0; start < N; start += BATCH) {
        const ids = Array.from({ length: Math.min(BATCH, N - start) }, (_, j) => start + j);
        for (const name of modes) {
          const a = (acc[name] ??= { b: [], bytes: 0, ms: 0, cpu: 0, daemonCpu: 0, machine: { busyMs: 0, totalMs: 0 }, loopP99: [], loopMax: 0 });
          // A fresh monitor per batch: a re-enabled one counts the time it was off as one delay.
          const loopDelay = monitorEventLoopDelay({ resolution: 5 });
          const keys: string[] = [];
          const d0 = daemonCpu();
          const m0 = machineCpu();
          const t = performance.now();
          const cpu0 = process.cpuUsage();
          loopDelay.enable();
          currentMode = name;
          if (name === 'pipelined') keys.push(...(await pipelinedRun(ids)));
          else if (name === 'staged') keys.push(...(await stagedRun(ids, conc)));
          else await inFlight(ids, conc, async (i) => void keys.push(await put[name](i)));
          const ms = performance.now() - t;
          loopDelay.disable();
          currentMode = '';
          a.loopP99.push(loopDelay.percentile(99) / 1e6);
          a.loopMax = Math.max(a.loopMax, loopDelay.max / 1e6);
          const cpu = process.cpuUsage(cpu0);
          const d1 = daemonCpu();
          const m1 = machineCpu();
          a.machine.busyMs += m1.busyMs - m0.busyMs;
          a.machine.totalMs += m1.totalMs - m0.totalMs;
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
          machineCpuMsPerMB: Math.round((a.machine.busyMs / mb) * 10) / 10,
          busyShare: Math.round((a.machine.busyMs / Math.max(1, a.machine.totalMs)) * 100) / 100,
          eventLoopDelayMs: { p99: Math.round(median(a.loopP99) * 10) / 10, max: Math.round(a.loopMax * 10) / 10 },
          bytes: a.bytes,
        };
      }
    }
    clearInterval(sampler);
    const rssGrowthMB = Math.round(((peak - baseline) / MB) * 10) / 10;
    const mainThreadRun = THREADS > 0 && !CHILD ? await runOnMainThread(rgw, work) : null;
    const pathMemory = CHILD ? null : { encrypted: await memoryOfPath(rgw, work, 'encrypted'), plain: await memoryOfPath(rgw, work, 'plain') };
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
      plainBusyShare: r(`plain_c${c}`).busyShare,
      zeroOverheadCeiling: Math.round((r(`plain_c${c}`).machineCpuMsPerMB / (r(`plain_c${c}`).machineCpuMsPerMB + floorMsPerMB)) * 100) / 100,
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
      aesGcmMBps: aesMBps,
      encryptionFloorMsPerMB: Math.round(floorMsPerMB * 100) / 100,
      machineCpuMsPerMB: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.machineCpuMsPerMB])),
      busyShare: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.busyShare])),
      peakRssGrowthMB: rssGrowthMB,
      ...(pathMemory ? { peakRssGrowthAloneMB: { encrypted: pathMemory.encrypted.peakRssGrowthMB, plain: pathMemory.plain.peakRssGrowthMB, bytesThroughMB: pathMemory.encrypted.bytesThroughMB } } : {}),
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
    for (const c of [2, 4]) if (results[`staged_c${c}`]) p(`staged ${c}: ${r(`staged_c${c}`).medianMBps} MB/s ratio ${ratio(`staged_c${c}`, `plain_c${c}`)}`);
    p(`CPU ms per MB, this process: ${JSON.stringify(f.nodeCpuMsPerMB)}; Ceph daemons (mon+osd+rgw): ${JSON.stringify(f.rgwCpuMsPerMB)}`);
    p(`CPU ms per MB, whole machine (/proc/stat): ${JSON.stringify(f.machineCpuMsPerMB)}; share of cores busy: ${JSON.stringify(f.busyShare)}`);
    p(`least extra CPU of the encrypted path (2 SHA-256 passes + AES-GCM, nothing else): ${f.encryptionFloorMsPerMB} ms/MB; ratio it would allow where the plain PUT is CPU-bound: ${f.serial.zeroOverheadCeiling}/${f.inFlight2.zeroOverheadCeiling}/${f.inFlight4.zeroOverheadCeiling} (1/2/4 in flight; plain PUT busy share ${f.serial.plainBusyShare}/${f.inFlight2.plainBusyShare}/${f.inFlight4.plainBusyShare})`);
    if (mainThreadRun) p(`CPU ms per MB, the main-thread process: ${JSON.stringify(mainThreadRun.nodeCpuMsPerMB)}; its peak RSS growth ${mainThreadRun.peakRssGrowthMB} MB`);
    p(`main-thread event-loop delay p99 / max (ms), what call handling waits meanwhile: ${Object.entries(results).map(([k, v]) => `${k} ${v.eventLoopDelayMs.p99}/${v.eventLoopDelayMs.max}`).join(', ')}`);
    p(`main-thread event-loop delay p99 / max (ms) while 20 recordings are encrypted, no uploads: on the main thread ${encryptingLoopDelayMs.mainThread.p99}/${encryptingLoopDelayMs.mainThread.max}` +
      (encryptingLoopDelayMs.threads ? `, on ${THREADS} encryption thread(s) ${encryptingLoopDelayMs.threads.p99}/${encryptingLoopDelayMs.threads.max}` : ''));
    p(`encryption alone in memory (MB/s): ${JSON.stringify(encOnly)}; one SHA-256 pass ${shaMBps} MB/s (the encrypted path hashes plaintext and ciphertext), AES-256-GCM ${aesMBps} MB/s`);
    if (pathMemory) {
      p(`peak RSS growth of the encrypted path alone (pipeline default: 2 in flight, encryption thread; own process): ${pathMemory.encrypted.peakRssGrowthMB} MB while ${pathMemory.encrypted.bytesThroughMB} MB passed (target < 64 MB); the plain PUT alone, same way: ${pathMemory.plain.peakRssGrowthMB} MB`);
    }
    p(`peak RSS growth of this process, all modes in one heap: ${rssGrowthMB} MB while ${f.bytesThroughMB} MB passed, by mode ${JSON.stringify(peakByMode)}; Ceph daemons RSS MB: ${JSON.stringify(f.rgwRssMB)}`);
    p(JSON.stringify(figures));
  } finally {
    if (stop) await stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
