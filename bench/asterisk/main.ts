/**
 * npm run bench:asterisk — ConsentLine beside a minimal ARI app on the real Asterisk, same machine,
 * same run (issue 18.6). Env: BENCH_RATES (calls/s, default 40,80,120,160), BENCH_SECONDS (20),
 * BENCH_WARMUP_SECONDS (5: both apps first take calls at 20/s, not counted, so JIT and first-use
 * costs do not land in the first measured rate of one app only), BENCH_CPU_PROF_DIR (a V8 CPU profile of
 * each app, written under <dir>/consentline and <dir>/minimal when they stop).
 * Prints per rate and app: completed %, p50/p99 Stasis→first playback, CPU per offered call, Asterisk's
 * CPU; then the conditions; the last line is one JSON object with ratio_rate and ratio_cpu_per_call.
 */
import { readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { AriHttp, ariEvents } from './ari-http.js';
import { CallWatch, offerLoad, type RunResult } from './load.js';
import { BENCH_DID, MINIMAL_APP, startBenchRig } from './rig.js';

const rates = (process.env.BENCH_RATES ?? '40,80,120,160').split(',').map(Number);
const seconds = Number(process.env.BENCH_SECONDS ?? '20');
const warmupSeconds = Number(process.env.BENCH_WARMUP_SECONDS ?? '5');
if (rates.some((r) => !(r > 0)) || !(seconds > 0) || !(warmupSeconds >= 0)) {
  console.error('usage: BENCH_RATES=<calls/s,...> BENCH_SECONDS=<s> BENCH_WARMUP_SECONDS=<s> npm run bench:asterisk');
  process.exit(2);
}

const percentile = (xs: number[], p: number): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const median = (xs: number[]): number | null => (xs.length ? percentile(xs, 50) : null);
const clean = (r: RunResult) => r.completed === r.offered && percentile(r.latenciesMs, 99) < 50;
const cpuPerCall = (r: RunResult) => r.appCpuMs / r.offered;

const rig = await startBenchRig();
const watch = new CallWatch(['consentline', MINIMAL_APP]);
const observer = await ariEvents(rig.ari, 'bench-observer', true, watch.onEvent);
const driver = new AriHttp(rig.ari, 16);
const apps = [
  { name: 'consentline', endpoint: `Local/${BENCH_DID}@consentline-inbound`, pid: rig.pids.consentline },
  { name: 'minimal', endpoint: `Local/${BENCH_DID}@${MINIMAL_APP}-inbound`, pid: rig.pids.minimal },
] as const;
const results = new Map<string, RunResult>();
let totalCalls = 0;
try {
  if (warmupSeconds > 0) {
    for (const app of apps) {
      const w = await offerLoad(driver, watch, { label: `${app.name}-warmup`, endpoint: app.endpoint, rate: 20, seconds: warmupSeconds, appPid: app.pid, asteriskPid: rig.pids.asterisk });
      console.log(`warm-up ${app.name}: ${w.completed}/${w.offered} calls at 20/s for ${warmupSeconds} s (not counted)`);
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
  for (const rate of rates) {
    for (const app of apps) {
      const r = await offerLoad(driver, watch, { label: `${app.name}-${rate}`, endpoint: app.endpoint, rate, seconds, appPid: app.pid, asteriskPid: rig.pids.asterisk });
      results.set(`${app.name}@${rate}`, r);
      totalCalls += r.offered;
      const q = r.requestsPerCall;
      console.log(
        `${String(rate).padStart(4)} calls/s  ${app.name.padEnd(11)} completed ${((100 * r.completed) / r.offered).toFixed(1).padStart(5)} % (${r.completed}/${r.offered}, originate failures ${r.originateFailures}, fallback ${r.fellBack})` +
          `  Stasis→first playback p50 ${percentile(r.latenciesMs, 50).toFixed(0)} ms p99 ${percentile(r.latenciesMs, 99).toFixed(0)} ms` +
          `  CPU/call ${cpuPerCall(r).toFixed(2)} ms  Asterisk CPU ${(r.asteriskCpuMs / 1000).toFixed(1)} s (${(r.asteriskCpuMs / r.offered).toFixed(2)} ms/call)` +
          `  seen per call: answer ${q.answer.toFixed(1)} play ${q.play.toFixed(1)} variables set ${q.variable.toFixed(1)} (ChannelVarset events: one ARRAY() request sets several) continue 1`,
      );
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
  const cpuInfo = await readFile('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuInfo)?.[1] ?? 'unknown';
  const version = (await rig.asterisk.cli('core show version')).trim();
  console.log(`conditions: ${model}, ${cpus().length} cores, load average ${(await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ')}, Node ${process.version}, ${version}`);
  console.log(`conditions: ${seconds} s per rate after ${warmupSeconds} s of warm-up per app, rates ${rates.join(', ')} calls/s, ${totalCalls} calls in all; flow notice + menu (one-word prompts, 0.2 s digit wait) vs answer + one play + one variable + continue`);

  const best = (name: string) => Math.max(0, ...rates.filter((rate) => clean(results.get(`${name}@${rate}`)!)));
  const minimalBest = best('minimal');
  const cpuRatios = rates
    .map((rate) => [results.get(`consentline@${rate}`)!, results.get(`minimal@${rate}`)!] as const)
    .filter(([c, m]) => c.completed === c.offered && m.completed === m.offered)
    .map(([c, m]) => cpuPerCall(c) / cpuPerCall(m));
  const ratioCpu = median(cpuRatios);
  console.log(
    JSON.stringify({
      ratio_rate: minimalBest > 0 ? Number((best('consentline') / minimalBest).toFixed(2)) : null,
      ratio_cpu_per_call: ratioCpu === null ? null : Number(ratioCpu.toFixed(2)),
    }),
  );
} finally {
  observer.close();
  driver.close();
  await rig.close();
}
