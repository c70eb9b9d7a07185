/**
 * npm run bench:calls — concurrent scripted calls through the ARI emulator (its own process)
 * into the real service (ARI adapter, flow, SQLite ledger with synchronous=FULL).
 *
 * Prints StasisStart → first play request latency p50/p99, evidence events/s and peak RSS for
 * N = 100, 500, 1000, 2000 concurrent calls; the highest new-call rate at which p99 stays
 * under 50 ms; and, in a separate append-only run, durable events/s with group commit against
 * one transaction per event. Ends with one JSON line.
 *
 * Env: BENCH_SIZES=100,500 to shrink; BENCH_RATES=100,200,400; BENCH_QUICK=1 for a smoke run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { realAri } from '../src/main-ari.js';
import { loadPromptCatalog } from '../src/prompts/manifest.js';
import { startService, type Service } from '../src/server.js';
import { createLogger } from '../src/shared/log.js';
import { benchServiceConfig, control, pct, round, startEmulator, waitDone } from './emulator-control.js';
import { machineInfo, measureAppends, median } from './ledger-measure.js';

const quick = process.env.BENCH_QUICK === '1';
const SIZES = (process.env.BENCH_SIZES ?? (quick ? '100,500' : '100,500,1000,2000')).split(',').map(Number);
const RATES = (process.env.BENCH_RATES ?? (quick ? '100,200' : '100,200,300,400,600,800')).split(',').map(Number);
/** New calls per second while building up N concurrent calls. */
const RAMP_RATE = 500;

async function eventCount(service: Service): Promise<number> {
  return (await service.store.head())?.seq ?? 0;
}

/** One batch: `count` calls at `rate`/s, each "press 1 after the menu". */
async function runBatch(service: Service, controlPort: number, count: number, rate: number, noticeMs: number) {
  await control(controlPort, 'POST', '/playback', { 'sound:consentline/notice': noticeMs, 'sound:consentline/menu': 200 });
  const eventsBefore = await eventCount(service);
  let peakRss = process.memoryUsage().rss;
  let peakActive = 0;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    peakActive = Math.max(peakActive, service.calls.activeCalls);
  }, 50);
  const started = performance.now();
  const { batch } = (await control(controlPort, 'POST', '/originate', {
    count,
    ratePerSec: rate,
    script: [{ when: { on: 'PlaybackFinished', media: 'sound:consentline/menu' }, afterMs: 20, do: { dtmf: '1' } }],
    exten: '221234567',
  })) as { batch: number };
  const calls = await waitDone(controlPort, batch, count, 120_000);
  await service.calls.drain();
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  const latencies = calls.filter((c) => c.stasisStartAt && c.firstPlayAt).map((c) => c.firstPlayAt! - c.stasisStartAt!);
  const continued = calls.filter((c) => c.outcome?.kind === 'continued').length;
  const events = (await eventCount(service)) - eventsBefore;
  await control(controlPort, 'POST', '/reset');
  return {
    count,
    rate,
    peakConcurrent: peakActive,
    p50Ms: round(pct(latencies, 50)),
    p99Ms: round(pct(latencies, 99)),
    eventsPerSec: Math.round(events / seconds),
    events,
    continued,
    peakRssMb: Math.round(peakRss / 1024 / 1024),
  };
}

/**
 * The same emulator and the same ARI adapter driven by a bare app that plays at once
 * on StasisStart and continues when the playback ends: no flow, no ledger. The difference
 * to ConsentLine's figures is what the service itself adds.
 */
async function baseline(ariPort: number, controlPort: number, count: number, rate = RAMP_RATE, noticeMs?: number) {
  const ari = realAri(benchServiceConfig({ dataDir: tmpdir(), ariUrl: `http://127.0.0.1:${ariPort}` }), createLogger({ level: 'warn' }));
  let n = 0;
  await ari.start({
    onStasisStart: (ch) => void ari.play(ch.id, `bl-${++n}`, 'sound:consentline/notice', 'pl').catch(() => undefined),
    onChannelEvent: (id, ev) => {
      if (ev.type === 'PlaybackFinished') void ari.continueInDialplan(id, { context: 'consentline-after', extension: 'sales', priority: 1 }).catch(() => undefined);
    },
    onConnected: () => undefined,
    onDisconnected: () => undefined,
  });
  try {
    await control(controlPort, 'POST', '/playback', { 'sound:consentline/notice': noticeMs ?? Math.ceil((count / rate) * 1000) + 1500 });
    const { batch } = (await control(controlPort, 'POST', '/originate', { count, ratePerSec: rate, exten: '221234567' })) as { batch: number };
    const calls = await waitDone(controlPort, batch, count, 120_000);
    const latencies = calls.filter((c) => c.stasisStartAt && c.firstPlayAt).map((c) => c.firstPlayAt! - c.stasisStartAt!);
    await control(controlPort, 'POST', '/reset');
    return { p50Ms: round(pct(latencies, 50)), p99Ms: round(pct(latencies, 99)) };
  } finally {
    await ari.close();
  }
}

async function main() {
  const info = machineInfo();
  console.log(`bench:calls — ${info.cpu}, ${info.cores} cores, Node ${info.node}, SQLite ${info.sqlite}, load ${info.loadAvg1m}`);
  const emu = await startEmulator();
  const REPEATS = quick ? 1 : 3;
  console.log('\nbaseline: bare app on the ARI adapter (play on StasisStart, no flow, no ledger), N concurrent, median of %d runs', REPEATS);
  const baselines: Record<number, { p50Ms: number; p99Ms: number }> = {};
  for (const n of SIZES) {
    const runs = [];
    for (let i = 0; i < REPEATS; i++) runs.push(await baseline(emu.ariPort, emu.controlPort, n));
    baselines[n] = { p50Ms: median(runs.map((r) => r.p50Ms)), p99Ms: median(runs.map((r) => r.p99Ms)) };
    console.log(`${String(n).padStart(7)}  p50 ${baselines[n]!.p50Ms} ms  p99 ${baselines[n]!.p99Ms} ms`);
  }
  console.log('baseline at steady new-call rates (4 s per step, short calls), median of %d runs', REPEATS);
  const rateBaselines: Record<number, { p50Ms: number; p99Ms: number }> = {};
  for (const rate of RATES) {
    const runs = [];
    for (let i = 0; i < REPEATS; i++) runs.push(await baseline(emu.ariPort, emu.controlPort, rate * 4, rate, 300));
    rateBaselines[rate] = { p50Ms: median(runs.map((r) => r.p50Ms)), p99Ms: median(runs.map((r) => r.p99Ms)) };
    console.log(`${String(rate).padStart(7)}/s  p50 ${rateBaselines[rate]!.p50Ms} ms  p99 ${rateBaselines[rate]!.p99Ms} ms`);
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'cl-bench-calls-'));
  const config = benchServiceConfig({ dataDir, ariUrl: `http://127.0.0.1:${emu.ariPort}` });
  const service = await startService({
    config,
    log: createLogger({ level: 'warn' }),
    createAri: realAri,
    loadPrompts: (dir) => loadPromptCatalog(dir),
  });
  try {
    for (;;) {
      const stats = (await control(emu.controlPort, 'GET', '/stats')) as { appConnected: boolean };
      if (stats.appConnected) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    // Warm-up: JIT, connection pool, SQLite pages.
    await runBatch(service, emu.controlPort, 50, 100, 300);

    console.log('\nconcurrent calls (ramp at %d new calls/s; each call: notice, menu, key 1, continue), median of %d runs', RAMP_RATE, REPEATS);
    console.log('      N  peak-live  p50 ms  p99 ms  events/s  peak RSS MB  continued');
    const concurrency = [];
    for (const n of SIZES) {
      // The notice lasts longer than the ramp, so all N calls are in the flow at once.
      const noticeMs = Math.ceil((n / RAMP_RATE) * 1000) + 1500;
      const runs = [];
      for (let i = 0; i < REPEATS; i++) runs.push(await runBatch(service, emu.controlPort, n, RAMP_RATE, noticeMs));
      const r = {
        ...runs[0]!,
        p50Ms: median(runs.map((x) => x.p50Ms)),
        p99Ms: median(runs.map((x) => x.p99Ms)),
        eventsPerSec: Math.round(median(runs.map((x) => x.eventsPerSec))),
        peakRssMb: Math.max(...runs.map((x) => x.peakRssMb)),
        continued: Math.min(...runs.map((x) => x.continued)),
        baseline: baselines[n],
      };
      concurrency.push(r);
      console.log(
        `${String(n).padStart(7)}  ${String(r.peakConcurrent).padStart(9)}  ${String(r.p50Ms).padStart(6)}  ${String(r.p99Ms).padStart(6)}  ${String(r.eventsPerSec).padStart(8)}  ${String(r.peakRssMb).padStart(11)}  ${r.continued}/${n}`,
      );
    }

    console.log('\nnew-call rate (4 s per step; short calls; median of %d): highest rate with p99 StasisStart→play < 50 ms', REPEATS);
    console.log('  calls/s  p50 ms  p99 ms');
    const rates = [];
    let bestRate = 0;
    for (const rate of RATES) {
      const runs = [];
      for (let i = 0; i < REPEATS; i++) runs.push(await runBatch(service, emu.controlPort, rate * 4, rate, 300));
      const r = { p50Ms: median(runs.map((x) => x.p50Ms)), p99Ms: median(runs.map((x) => x.p99Ms)) };
      rates.push({ rate, p50Ms: r.p50Ms, p99Ms: r.p99Ms, baseline: rateBaselines[rate] });
      console.log(`${String(rate).padStart(9)}  ${String(r.p50Ms).padStart(6)}  ${String(r.p99Ms).padStart(6)}`);
      if (r.p99Ms < 50) bestRate = rate;
      else break;
    }

    console.log('\nappend-only, durable (WAL, synchronous=FULL), 1000 concurrent writers: group commit (writer thread, as the service runs; and inline) vs one transaction per event, medians of 3');
    const group = [];
    const inline = [];
    const single = [];
    for (let i = 0; i < 3; i++) {
      group.push((await measureAppends({ events: quick ? 20_000 : 60_000, writers: 1000, maxBatch: 5000 })).eventsPerSec);
      inline.push((await measureAppends({ events: quick ? 20_000 : 60_000, writers: 1000, maxBatch: 5000, writerThread: false })).eventsPerSec);
      single.push((await measureAppends({ events: quick ? 1000 : 3000, writers: 1000, maxBatch: 1 })).eventsPerSec);
    }
    const appendOnly = {
      writers: 1000,
      groupCommitEventsPerSec: Math.round(median(group)),
      groupCommitInlineEventsPerSec: Math.round(median(inline)),
      perEventTxEventsPerSec: Math.round(median(single)),
    };
    console.log(
      `  group commit, writer thread: ${appendOnly.groupCommitEventsPerSec}/s   inline: ${appendOnly.groupCommitInlineEventsPerSec}/s   one tx per event: ${appendOnly.perEventTxEventsPerSec}/s`,
    );

    const at1000 = concurrency.find((c) => c.count === 1000);
    const figures = {
      bench: 'calls',
      machine: { ...info, loadAvg1mEnd: machineInfo().loadAvg1m },
      concurrency,
      rates,
      maxRateP99Under50ms: bestRate,
      appendOnly,
      targets: {
        p99At1000Under20ms: at1000 ? at1000.p99Ms < 20 : null,
        rateAtLeast200: bestRate >= 200,
        appendAtLeast20k: appendOnly.groupCommitEventsPerSec >= 20_000,
      },
    };
    console.log(JSON.stringify(figures));
  } finally {
    await service.stop();
    await control(emu.controlPort, 'POST', '/shutdown').catch(() => undefined);
    emu.child.kill();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
