import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AlgorithmSuiteIdentifier, CommitmentPolicy, buildClient } from '@aws-crypto/client-node';
import { createRecordingKeyring, FRAME_LENGTH, SUITE_ID } from '../../src/recordings/crypto/index.js';
import { MB, PCM_BYTES, repo } from './conditions.js';

export function wav(seed: number): Buffer {
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

export function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ([resolve, reject] = [res, rej]));
  return { promise, resolve, reject };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export async function inFlight<T>(items: T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

export function version(pkg: string): string {
  try {
    return JSON.parse(readFileSync(join(repo, 'node_modules', pkg, 'package.json'), 'utf8')).version as string;
  } catch {
    return 'unknown';
  }
}

/** CPU ms (user + system) the process has used so far, from /proc; null when unknown. */
export function cpuMsOf(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // USER_HZ = 100 on Linux
  } catch {
    return null;
  }
}

export function loadAvg(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'unknown';
  }
}

/** MB/s of `work` over `data`, the median of five runs. */
export function rateMBps(data: Buffer, work: (data: Buffer) => void): number {
  const runs: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    work(data);
    runs.push(data.length / MB / ((performance.now() - t) / 1000));
  }
  return Math.round(median(runs));
}

/**
 * CPU ms per MB of `work` over `data` (this thread's user + system time, median of five runs): unlike
 * a rate from wall time, not inflated when other processes take the cores.
 */
export function cpuMsPerMB(data: Buffer, work: (data: Buffer) => void): number {
  const runs: number[] = [];
  for (let r = 0; r < 5; r++) {
    const c = process.cpuUsage();
    work(data);
    const d = process.cpuUsage(c);
    runs.push((d.user + d.system) / 1000 / (data.length / MB));
  }
  return median(runs);
}

export const sha256Once = (d: Buffer): void => void createHash('sha256').update(d).digest();

/** One SHA-256 pass over `data` (MB/s): plaintext and ciphertext each need one. */
export function sha256MBps(data: Buffer): number {
  return rateMBps(data, (d) => void createHash('sha256').update(d).digest());
}

export interface MachineCpu {
  busyMs: number;
  totalMs: number;
}

/** CPU time of all cores so far, from the first line of /proc/stat (iowait counts as idle). */
export function machineCpu(): MachineCpu {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    return { busyMs: (total - f[3]! - f[4]!) * 10, totalMs: total * 10 };
  } catch {
    return { busyMs: 0, totalMs: 0 };
  }
}

/** AES-256-GCM in 1 MiB updates, the frame size the envelope uses. */
export function aesGcmOnce(d: Buffer, key: Buffer = AES_KEY): void {
  for (let o = 0; o < d.length; o += FRAME_LENGTH) {
    const c = createCipheriv('aes-256-gcm', key, randomBytes(12));
    c.update(d.subarray(o, o + FRAME_LENGTH));
    c.final();
  }
}
const AES_KEY = randomBytes(32);

/** AES-256-GCM (MB/s). */
export function aesGcmMBps(data: Buffer): number {
  return rateMBps(data, (d) => aesGcmOnce(d));
}

export function rssOf(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Encryption alone, in memory: our settings against the SDK defaults (signed suite, 4 KiB frames). */
export async function encryptOnly(keyring: Awaited<ReturnType<typeof createRecordingKeyring>>, data: Buffer): Promise<Record<string, number>> {
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
