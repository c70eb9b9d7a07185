// npm run bench:ledger [-- --events N --writers C --runs R --baseline-events N --dir path --pg URL --floor-rows N]
//
// Durable appends (acknowledged only after the commit) from C concurrent writers: group commit
// on SQLite (WAL, synchronous=FULL) and on PostgreSQL (a fresh database on --pg, synchronous_commit=on),
// one transaction per event as the baseline, and the floor measured in the same run: SQLite
// with 100 rows of the event's size per fsync'ed transaction and nothing else (no chain, no
// hashing, no writer thread). Each run prints the append-to-acknowledgement p50/p99.
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import pg from 'pg';
import { parseArgs } from 'node:util';
import { machineInfo, measureAppends, measureSqliteFloor, median, type AppendRunResult } from './ledger-measure.js';

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
    pg: { type: 'string', default: process.env.CONSENTLINE_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432' },
    'floor-rows': { type: 'string', default: '20000' },
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

async function series(label: string, n: number, count: number, batch: number, pgUrl?: string): Promise<AppendRunResult[]> {
  const on = pgUrl ? { pgUrl } : {};
  await measureAppends({ events: Math.min(n, 500), writers, maxBatch: batch, dir, ...on }); // warm-up
  const results: AppendRunResult[] = [];
  for (let r = 0; r < count; r++) {
    const res = await measureAppends({ events: n, writers, maxBatch: batch, dir, ...on });
    results.push(res);
    console.log(
      `  ${label} run ${r + 1}/${count}: ${n} events in ${res.seconds.toFixed(3)} s = ${Math.round(res.eventsPerSec)} events/s (${res.batches} transactions, largest ${res.largestBatch}); ack p50 ${res.ackP50Ms} ms, p99 ${res.ackP99Ms} ms; load average ${machineInfo().loadAvg1m}`,
    );
  }
  return results;
}

const floorRows = Number(values['floor-rows']);
const floors: number[] = [];
const floorRun = () => {
  const f = measureSqliteFloor({ rows: floorRows, rowsPerTx: 100, dir });
  floors.push(f.rowsPerSec);
  console.log(`  floor: SQLite, 100 rows per fsync'ed transaction: ${f.rowsPerSec} rows/s (${f.transactions} transactions); load average ${machineInfo().loadAvg1m}`);
};
// The floor before and after the appends, so a change in the machine's load shows.
floorRun();
const grouped = await series('sqlite group commit', events, runs, maxBatch);
floorRun();
const server = values.pg.replace(/\/$/, '');
const dbName = `cl_bench_ledger_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: `${server}/postgres` });
await admin.connect();
await admin.query(`CREATE DATABASE ${dbName}`);
let pgGrouped: AppendRunResult[];
try {
  pgGrouped = await series('postgres group commit', events, runs, maxBatch, `${server}/${dbName}`);
} finally {
  await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await admin.end();
}
const baseline = await series('one tx/event', baselineEvents, baselineRuns, 1);
floorRun();

const groupMedian = median(grouped.map((r) => r.eventsPerSec));
const baselineMedian = median(baseline.map((r) => r.eventsPerSec));
const pgMedian = median(pgGrouped.map((r) => r.eventsPerSec));
const floorMedian = median(floors);
const p99 = (rs: AppendRunResult[]) => median(rs.map((r) => r.ackP99Ms));
console.log(`postgres group commit: median ${Math.round(pgMedian)} events/s, ack p99 ${p99(pgGrouped)} ms`);
console.log(`floor (SQLite, 100 rows per fsync'ed transaction): median ${floorMedian} rows/s; sqlite group commit reaches ${((groupMedian / floorMedian) * 100).toFixed(0)} % of it`);
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
    groupCommit: { events, runs, maxBatch, medianEventsPerSec: Math.round(groupMedian), medianBatches: median(grouped.map((r) => r.batches)), ackP50Ms: median(grouped.map((r) => r.ackP50Ms)), ackP99Ms: p99(grouped) },
    postgres: { events, runs, maxBatch, medianEventsPerSec: Math.round(pgMedian), medianBatches: median(pgGrouped.map((r) => r.batches)), ackP99Ms: p99(pgGrouped) },
    floor: { rowsPerTx: 100, rows: floorRows, runs: floors.length, medianRowsPerSec: floorMedian, groupCommitShare: Number((groupMedian / floorMedian).toFixed(2)) },
    perEventTx: { events: baselineEvents, runs: baselineRuns, medianEventsPerSec: Math.round(baselineMedian) },
    speedup: Number((groupMedian / baselineMedian).toFixed(2)),
  }),
);
