// npm run bench:ledger [-- --events N --writers C --runs R --baseline-events N --dir path]
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { machineInfo, measureAppends, median, type AppendRunResult } from './ledger-measure.js';

export { measureAppends, machineInfo, median } from './ledger-measure.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '20000' },
    writers: { type: 'string', default: '200' },
    runs: { type: 'string', default: '5' },
    'baseline-events': { type: 'string', default: '2000' },
    'baseline-runs': { type: 'string', default: '3' },
    'max-batch': { type: 'string', default: '1000' },
    dir: { type: 'string', default: tmpdir() },
  },
});
const events = Number(values.events);
const writers = Number(values.writers);
const runs = Number(values.runs);
const baselineEvents = Number(values['baseline-events']);
const baselineRuns = Number(values['baseline-runs']);
const maxBatch = Number(values['max-batch']);
const dir = values.dir;

const machine = machineInfo();
console.log(`machine: ${machine.cpu}, ${machine.cores} cores, load average ${machine.loadAvg1m}; Node ${machine.node}; SQLite ${machine.sqlite}`);
console.log(`durable appends (WAL, synchronous=FULL) into ${dir}; ${writers} concurrent writers`);

async function series(label: string, n: number, count: number, batch: number): Promise<AppendRunResult[]> {
  await measureAppends({ events: Math.min(n, 500), writers, maxBatch: batch, dir }); // warm-up
  const results: AppendRunResult[] = [];
  for (let r = 0; r < count; r++) {
    const res = await measureAppends({ events: n, writers, maxBatch: batch, dir });
    results.push(res);
    console.log(
      `  ${label} run ${r + 1}/${count}: ${n} events in ${res.seconds.toFixed(3)} s = ${Math.round(res.eventsPerSec)} events/s (${res.batches} transactions, largest ${res.largestBatch})`,
    );
  }
  return results;
}

const grouped = await series('group commit', events, runs, maxBatch);
const baseline = await series('one tx/event', baselineEvents, baselineRuns, 1);

const groupMedian = median(grouped.map((r) => r.eventsPerSec));
const baselineMedian = median(baseline.map((r) => r.eventsPerSec));
console.log(`group commit: median ${Math.round(groupMedian)} events/s over ${runs} runs of ${events}`);
console.log(`one transaction per event: median ${Math.round(baselineMedian)} events/s over ${baselineRuns} runs of ${baselineEvents}`);
console.log(`speed-up ×${(groupMedian / baselineMedian).toFixed(1)}`);
console.log(
  JSON.stringify({
    bench: 'ledger-append',
    ...machine,
    loadAvg1mAtEnd: machineInfo().loadAvg1m,
    durable: true,
    writers,
    groupCommit: { events, runs, maxBatch, medianEventsPerSec: Math.round(groupMedian), medianBatches: median(grouped.map((r) => r.batches)) },
    perEventTx: { events: baselineEvents, runs: baselineRuns, medianEventsPerSec: Math.round(baselineMedian) },
    speedup: Number((groupMedian / baselineMedian).toFixed(2)),
  }),
);
