import { monitorEventLoopDelay } from 'node:perf_hooks';
import { BATCH, CHILD, DISTINCT_FILES, log, MB, N, STAGED, type Rgw } from './conditions.js';
import { cpuMsOf, inFlight, loadAvg, machineCpu, median, type MachineCpu } from './measure.js';
import type { Uploads } from './uploads.js';

type Mode = 'plain' | 'encrypted' | 'pipelined' | 'staged' | 'stream1h' | 'stream2h';
interface Acc { b: number[]; bytes: number; ms: number; cpu: number; daemonCpu: number | null; machine: MachineCpu; loopP99: number[]; loopMax: number }
export interface Result {
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

/**
 * The measured modes at 1, 2 and 4 in flight, in alternating batches; `results` is keyed
 * `<mode>_c<in flight>`. Also the peak RSS growth of this process over all modes and per mode.
 */
export async function alternatingBatches(u: Uploads, rgw: Rgw, baseline: number) {
  const { files, store, plainPut, encryptedPut, streamedPut, streamedBothPut, pipelinedRun, stagedRun } = u;
  let peak = baseline;
  /** Peak RSS growth per mode (MB), to tell which path holds the memory. */
  const peakByMode: Record<string, number> = {};
  let currentMode = '';
  const sampler = setInterval(() => {
    const rss = process.memoryUsage().rss;
    peak = Math.max(peak, rss);
    if (currentMode) peakByMode[currentMode] = Math.max(peakByMode[currentMode] ?? 0, Math.round(((rss - baseline) / MB) * 10) / 10);
  }, 20);

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
  const put: Record<Exclude<Mode, 'pipelined' | 'staged'>, (i: number) => Promise<string>> = {
    plain: plainPut,
    encrypted: encryptedPut,
    stream1h: streamedPut,
    stream2h: streamedBothPut,
  };
  // The streamed path (encrypted on the main thread into the PUT body) only in the first process.
  const streamed: Mode[] = CHILD ? [] : ['stream1h', 'stream2h'];
  const results: Record<string, Result> = {};
  for (const conc of [1, 2, 4]) {
    const acc: Partial<Record<Mode, Acc>> = {};
    const modes: Mode[] = [
      ...(conc === 1 && !CHILD ? ['plain', 'encrypted', 'pipelined'] : STAGED && !CHILD ? ['plain', 'encrypted', 'staged'] : ['plain', 'encrypted']),
      ...streamed,
    ] as Mode[];
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
  return { results, peakByMode, peak };
}
