// npm run bench:recordings
//
// Encrypt + upload of recordings to a real S3 (Ceph RGW on loopback) against a plain PUT of the
// same WAV bytes, in the same run, serial and 4 in flight. Prints MB/s (median of batches), the
// ratio, peak RSS growth of this process, the machine and versions, and ends with one line
// holding a single JSON object of the figures.
//
// Environment: BENCH_N (recordings per configuration, default 200), BENCH_BATCH (default 20),
// RGW_ENDPOINT_JSON (use a running gateway; otherwise scripts/rgw/start.sh is run and stopped).
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CreateBucketCommand, DeleteBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  AlgorithmSuiteIdentifier,
  CommitmentPolicy,
  buildClient,
} from '@aws-crypto/client-node';
import { createRecordingEnvelope, createRecordingKeyring, FRAME_LENGTH, SUITE_ID } from '../src/recordings/crypto/index.js';
import { S3ObjectStore } from '../src/recordings/storage/index.js';

const N = Number(process.env.BENCH_N ?? 200);
const BATCH = Math.max(1, Math.min(N, Number(process.env.BENCH_BATCH ?? 20)));
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
    ours_unsigned_64KiB: { suiteId: SUITE_ID, frameLength: FRAME_LENGTH },
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

async function main(): Promise<void> {
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
    const keyring = await createRecordingKeyring({ mode: 'local', keyFile: join(work, 'bench.key') });
    const envelope = createRecordingEnvelope(keyring);
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
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: createReadStream(f.path), ContentLength: f.bytes }));
      return key;
    };
    const encryptedPut = async (i: number): Promise<string> => {
      const f = files[i % DISTINCT_FILES]!;
      const key = `enc/${i}.wav.enc`;
      const encPath = join(work, `enc-${i}.wav.enc`);
      const r = await envelope.encryptFile(f.path, encPath, { callId: `bench-${i}` });
      await store.put(key, encPath, { bytes: r.ciphertextBytes, sha256: r.ciphertextSha256 });
      await unlink(encPath);
      return key;
    };

    // warm-up (JIT, connections), not measured
    for (let i = 0; i < 3; i++) {
      await store.delete([await plainPut(1e6 + i), await encryptedPut(1e6 + i)]);
    }
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);

    // Serial, but the encryption of recording i+1 overlaps the upload of recording i: what an
    // upload queue with separate "encrypt" and "upload" stages does.
    const pipelinedRun = async (ids: number[]): Promise<string[]> => {
      const keys: string[] = [];
      const encrypted: Promise<{ path: string; bytes: number; sha256: string }>[] = [];
      const enc = (i: number): Promise<{ path: string; bytes: number; sha256: string }> => {
        const f = files[i % DISTINCT_FILES]!;
        const path = join(work, `pipe-${i}.wav.enc`);
        return envelope.encryptFile(f.path, path, { callId: `bench-${i}` }).then((r) => ({ path, bytes: r.ciphertextBytes, sha256: r.ciphertextSha256 }));
      };
      encrypted[0] = enc(ids[0]!);
      for (let j = 0; j < ids.length; j++) {
        const e = await encrypted[j]!;
        if (j + 1 < ids.length) encrypted[j + 1] = enc(ids[j + 1]!);
        const key = `pipe/${ids[j]}.wav.enc`;
        await store.put(key, e.path, { bytes: e.bytes, sha256: e.sha256 });
        await unlink(e.path);
        keys.push(key);
      }
      return keys;
    };

    const results: Record<string, { batchesMBps: number[]; medianMBps: number; overallMBps: number; nodeCpuMsPerMB: number }> = {};
    for (const conc of [1, 4]) {
      const acc = {
        plain: { b: [] as number[], bytes: 0, ms: 0, cpu: 0 },
        encrypted: { b: [] as number[], bytes: 0, ms: 0, cpu: 0 },
        pipelined: { b: [] as number[], bytes: 0, ms: 0, cpu: 0 },
      };
      // batches alternate plain / encrypted so drift (GC in RGW, page cache) hits both alike
      for (let start = 0; start < N; start += BATCH) {
        const ids = Array.from({ length: Math.min(BATCH, N - start) }, (_, j) => start + j);
        const modes = conc === 1 ? (['plain', 'encrypted', 'pipelined'] as const) : (['plain', 'encrypted'] as const);
        for (const name of modes) {
          const keys: string[] = [];
          const t = performance.now();
          const cpu0 = process.cpuUsage();
          if (name === 'pipelined') keys.push(...(await pipelinedRun(ids)));
          else await inFlight(ids, conc, async (i) => void keys.push(await (name === 'plain' ? plainPut : encryptedPut)(i)));
          const ms = performance.now() - t;
          const cpu = process.cpuUsage(cpu0);
          acc[name].cpu += (cpu.user + cpu.system) / 1000;
          const bytes = ids.reduce((s, i) => s + files[i % DISTINCT_FILES]!.bytes, 0);
          acc[name].b.push(bytes / MB / (ms / 1000));
          acc[name].bytes += bytes;
          acc[name].ms += ms;
          await store.delete(keys); // keep the RAM-backed OSD small; not timed
        }
        log(`concurrency ${conc}: ${Math.min(start + BATCH, N)}/${N}`);
      }
      for (const name of ['plain', 'encrypted', 'pipelined'] as const) {
        if (!acc[name].b.length) continue;
        results[`${name}_c${conc}`] = {
          batchesMBps: acc[name].b.map((x) => Math.round(x * 10) / 10),
          medianMBps: Math.round(median(acc[name].b) * 10) / 10,
          overallMBps: Math.round((acc[name].bytes / MB / (acc[name].ms / 1000)) * 10) / 10,
          nodeCpuMsPerMB: Math.round((acc[name].cpu / (acc[name].bytes / MB)) * 10) / 10,
        };
      }
    }
    clearInterval(sampler);
    const rssGrowthMB = Math.round(((peak - baseline) / MB) * 10) / 10;
    const encOnly = await encryptOnly(keyring, Buffer.concat(Array.from({ length: 10 }, () => readFileSync(files[0]!.path))));
    await s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => {});
    await store.close();

    let ceph = 'unknown';
    try {
      ceph = execFileSync('radosgw', ['--version'], { encoding: 'utf8' }).trim().split('\n')[0]!.replace(/^ceph version /, '');
    } catch {
      /* not installed locally: remote endpoint */
    }
    const figures = {
      bench: 'recordings',
      n: N,
      batch: BATCH,
      objectBytes: 44 + PCM_BYTES,
      serial: {
        plainMBps: results.plain_c1!.medianMBps,
        encryptedMBps: results.encrypted_c1!.medianMBps,
        ratio: Math.round((results.encrypted_c1!.medianMBps / results.plain_c1!.medianMBps) * 100) / 100,
        pipelinedMBps: results.pipelined_c1!.medianMBps,
        pipelinedRatio: Math.round((results.pipelined_c1!.medianMBps / results.plain_c1!.medianMBps) * 100) / 100,
      },
      inFlight4: {
        plainMBps: results.plain_c4!.medianMBps,
        encryptedMBps: results.encrypted_c4!.medianMBps,
        ratio: Math.round((results.encrypted_c4!.medianMBps / results.plain_c4!.medianMBps) * 100) / 100,
      },
      overallMBps: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.overallMBps])),
      nodeCpuMsPerMB: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.nodeCpuMsPerMB])),
      encryptOnlyMBps: encOnly,
      peakRssGrowthMB: rssGrowthMB,
      bytesThroughMB: Math.round((5 * N * (44 + PCM_BYTES)) / MB),
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
    p(`recordings bench: N=${N} × ${(figures.objectBytes / MB).toFixed(2)} MB WAV (8 kHz 16-bit mono, 5 min), batches of ${BATCH}, Ceph RGW ${ceph} on loopback`);
    p(`machine: ${figures.machine.cpu}, ${figures.machine.cores} cores, ${figures.machine.memGB} GB; Node ${process.version}; @aws-crypto/client-node ${figures.versions['@aws-crypto/client-node']}, @aws-sdk/client-s3 ${figures.versions['@aws-sdk/client-s3']}`);
    p(`serial      plain PUT ${figures.serial.plainMBps} MB/s, encrypt+upload ${figures.serial.encryptedMBps} MB/s, ratio ${figures.serial.ratio} (target ≥ 0.8); encrypt-ahead pipelined ${figures.serial.pipelinedMBps} MB/s, ratio ${figures.serial.pipelinedRatio}`);
    p(`4 in flight plain PUT ${figures.inFlight4.plainMBps} MB/s, encrypt+upload ${figures.inFlight4.encryptedMBps} MB/s, ratio ${figures.inFlight4.ratio} (target ≥ 0.8)`);
    p(`encryption alone (MB/s): ${JSON.stringify(encOnly)}; node CPU ms per MB: ${JSON.stringify(figures.nodeCpuMsPerMB)}`);
    p(`peak RSS growth of this process: ${rssGrowthMB} MB while ${figures.bytesThroughMB} MB passed (target < 64 MB); RGW daemons RSS MB: ${JSON.stringify(figures.rgwRssMB)}`);
    p(JSON.stringify(figures));
  } finally {
    if (stop) await stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
