import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import type { ChildFigures, PathMemory } from './children.js';
import { BATCH, MALLOC_ENV, MALLOC_LABEL, MB, N, PCM_BYTES, THREADS, VERIFY, type Rgw } from './conditions.js';
import { loadAvg, rssOf, version } from './measure.js';
import type { Result } from './alternating.js';

export interface ReportInputs {
  readonly rgw: Rgw;
  readonly loadAtStart: string;
  readonly results: Record<string, Result>;
  readonly peakByMode: Record<string, number>;
  readonly rssGrowthMB: number;
  readonly mainThreadRun: ChildFigures | null;
  readonly pathMemory: { encrypted: PathMemory; plain: PathMemory; streamed: PathMemory; streamed4: PathMemory } | null;
  readonly encOnly: Record<string, number>;
  readonly encryptingLoopDelayMs: { mainThread: { p99: number; max: number }; threads?: { p99: number; max: number } };
  readonly shaMBps: number;
  readonly aesMBps: number;
  readonly floorMsPerMB: number;
  /** One SHA-256 pass + AES-256-GCM, CPU ms per MB (issue 24's floor). */
  readonly oneHashFloorCpuMsPerMB: number;
}

const r2 = (x: number): number => Math.round(x * 100) / 100;

/**
 * Issue 24's figures: each encrypted path's own CPU per MB (its process CPU per MB minus the plain
 * PUT's at the same level) over the one-hash floor, per level; and peak RSS growth per upload in flight.
 */
function issue24(results: Record<string, Result>, floor: number, mem: ReportInputs['pathMemory']) {
  const cpuPerMbRatio: Record<string, number> = {};
  for (const [k, v] of Object.entries(results)) {
    const [mode, level] = k.split('_');
    const plain = results[`plain_${level}`];
    if (mode === 'plain' || !plain) continue;
    cpuPerMbRatio[k] = r2((v.nodeCpuMsPerMB - plain.nodeCpuMsPerMB) / floor);
  }
  const perUpload = (m: PathMemory): number => Math.round((m.peakRssGrowthMB / m.inFlight) * 10) / 10;
  const peakRssPerUploadMB = mem
    ? { encrypted_c2: perUpload(mem.encrypted), plain_c2: perUpload(mem.plain), streamed_c2: perUpload(mem.streamed), streamed_c4: perUpload(mem.streamed4) }
    : null;
  return { cpuPerMbRatio, peakRssPerUploadMB };
}

/** Prints the figures: a line per finding, then one line holding a single JSON object of them all. */
export function printReport(x: ReportInputs): void {
  const { rgw, loadAtStart, results, peakByMode, rssGrowthMB, mainThreadRun, pathMemory, encOnly, encryptingLoopDelayMs, shaMBps, aesMBps, floorMsPerMB, oneHashFloorCpuMsPerMB } = x;
  const i24 = issue24(results, oneHashFloorCpuMsPerMB, pathMemory);
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
    ...(results[`stream1h_c${c}`] ? { streamedMBps: r(`stream1h_c${c}`).medianMBps, streamedRatio: ratio(`stream1h_c${c}`, `plain_c${c}`) } : {}),
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
    oneHashFloorCpuMsPerMB: r2(oneHashFloorCpuMsPerMB),
    cpuPerMbRatio: i24.cpuPerMbRatio,
    ...(i24.peakRssPerUploadMB ? { peakRssPerUploadMB: i24.peakRssPerUploadMB } : {}),
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
    targets: { ratioMin: 0.8, rssGrowthMaxMB: 64, cpuPerMbRatioMax: 1.5, rssPerUploadMaxMB: 64 },
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
    (l.mainThreadMBps === undefined ? '' : `; encrypting on the main thread instead (second process) ${l.mainThreadMBps} MB/s against its plain PUT ${l.mainThreadPlainMBps} MB/s, ratio ${l.mainThreadRatio}`) +
    (l.streamedMBps === undefined ? '' : `; streamed (one hash) ${l.streamedMBps} MB/s, ratio ${l.streamedRatio}`);
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
  p(`issue 24: own CPU per MB (process CPU/MB minus the plain PUT's at the same level) over one SHA-256 + AES-256-GCM (${r2(oneHashFloorCpuMsPerMB)} ms/MB CPU, this run): ${JSON.stringify(i24.cpuPerMbRatio)} (target ≤ 1.5; encrypted = the pipeline's path with the work-dir copy, stream1h/stream2h = streamed on the main thread, 1 or 2 hashes)`);
  if (i24.peakRssPerUploadMB) p(`issue 24: peak RSS growth per upload in flight, each path alone in its process: ${JSON.stringify(i24.peakRssPerUploadMB)} (target ≤ 64 MB)`);
  p(`peak RSS growth of this process, all modes in one heap: ${rssGrowthMB} MB while ${f.bytesThroughMB} MB passed, by mode ${JSON.stringify(peakByMode)}; Ceph daemons RSS MB: ${JSON.stringify(f.rgwRssMB)}`);
  p(JSON.stringify(figures));
}
