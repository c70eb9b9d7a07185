// npm run bench:scale [-- --events N --writers C --runs R --max-batch B --pg postgres://… --dir path]
//
// Durable evidence appends per second from C concurrent writers per instance:
//   sqlite ×1     one instance on an embedded SQLite file (WAL, synchronous=FULL, writer thread)
//   postgres ×1   one instance on PostgreSQL (synchronous_commit as the server has it)
//   postgres ×2   two instances (separate processes) appending to one shared ledger
// Every instance is a child process (tsx), so all three pay the same process costs. N events
// per run in total, split evenly over the instances. After each run the ledger is verified
// (gapless, no fork) and the count checked.
//
// Then call set-up latency in the same three set-ups (bench/scale-calls.ts): each instance is
// the whole service in its own process with its own ARI emulator process, all instances on one
// database; --calls calls per instance at --call-rate new calls/s each. Figures: StasisStart →
// first play, and key press → continue (which waits for the durable write of the choice).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { openPgEvidenceStore } from '../src/evidence/pg-store.js';
import { openSqliteEvidenceStore } from '../src/evidence/sqlite-store.js';
import type { EvidenceStore } from '../src/evidence/store.js';
import { machineInfo, median, promptEvent } from './ledger-measure.js';
import { measureCallSetup, type CallSetupResult } from './scale-calls.js';

const { values } = parseArgs({
  options: {
    worker: { type: 'boolean', default: false },
    engine: { type: 'string' },
    target: { type: 'string' },
    schema: { type: 'string' },
    instance: { type: 'string', default: '0' },
    events: { type: 'string', default: '10000' },
    writers: { type: 'string', default: '100' },
    runs: { type: 'string', default: '3' },
    'max-batch': { type: 'string', default: '1000' },
    pg: { type: 'string', default: process.env.CONSENTLINE_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432' },
    dir: { type: 'string', default: tmpdir() },
    calls: { type: 'string', default: '300' },
    'call-rate': { type: 'string', default: '50' },
  },
});

const SELF = fileURLToPath(import.meta.url);

if (values.worker) await worker();
else await main();

/** One instance: open the store, say ready, wait for "go", append, report. */
async function worker(): Promise<void> {
  const events = Number(values.events);
  const writers = Number(values.writers);
  const maxBatch = Number(values['max-batch']);
  const store =
    values.engine === 'sqlite'
      ? await openSqliteEvidenceStore({ path: values.target!, maxBatch })
      : await openPgEvidenceStore({ url: values.target!, schema: values.schema!, maxBatch, max: 2 });
  process.stdout.write('ready\n');
  const stdin = createInterface({ input: process.stdin });
  await once(stdin, 'line');
  stdin.close(); // else the open stdin keeps this process alive after the run
  const perWriter = Math.ceil(events / writers);
  let remaining = events;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; i < perWriter && remaining > 0; i++) {
        remaining -= 1;
        await store.append(promptEvent(Number(values.instance) * 10_000 + w, i));
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const stats = (store as EvidenceStore & { writeStats(): { batches: number; largestBatch: number } }).writeStats();
  await store.close();
  process.stdout.write(`${JSON.stringify({ events, seconds, batches: stats.batches, largestBatch: stats.largestBatch })}\n`);
  process.stdin.destroy();
}

interface RunResult {
  readonly seconds: number;
  readonly eventsPerSec: number;
  readonly batches: number;
}

async function main(): Promise<void> {
  const events = Number(values.events);
  const writers = Number(values.writers);
  const runs = Number(values.runs);
  const maxBatch = Number(values['max-batch']);
  const server = values.pg.replace(/\/$/, '');
  const dbName = `cl_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: `${server}/postgres` });
  await admin.connect();
  const pgVersion = (await admin.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v;
  const syncCommit = (await admin.query<{ v: string }>("SELECT current_setting('synchronous_commit') AS v")).rows[0]!.v;
  const fsync = (await admin.query<{ v: string }>("SELECT current_setting('fsync') AS v")).rows[0]!.v;
  await admin.query(`CREATE DATABASE ${dbName}`);
  const dbUrl = `${server}/${dbName}`;
  const dir = mkdtempSync(join(values.dir, 'consentline-scale-'));

  const machine = machineInfo();
  console.log(`machine: ${machine.cpu}, ${machine.cores} cores, load average ${machine.loadAvg1m}; Node ${machine.node}; SQLite ${machine.sqlite}; PostgreSQL ${pgVersion} (synchronous_commit=${syncCommit}, fsync=${fsync}) on ${server.replace(/:[^:@/]*@/, ':***@')}`);
  console.log(`N=${events} durable appends per run (split over the instances), C=${writers} concurrent writers per instance, maxBatch ${maxBatch}, ${runs} runs each; SQLite file in ${dir}`);

  let schemaN = 0;
  async function run(engine: 'sqlite' | 'postgres', instances: number): Promise<RunResult> {
    const schema = `bench_${++schemaN}`;
    const target = engine === 'sqlite' ? join(dir, `${schema}.sqlite`) : dbUrl;
    const children: { child: ChildProcess; lines: AsyncIterator<string> }[] = [];
    for (let i = 0; i < instances; i++) {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', SELF, '--worker', '--engine', engine, '--target', target, '--schema', schema, '--instance', String(i),
          '--events', String(Math.ceil(events / instances)), '--writers', String(writers), '--max-batch', String(maxBatch)],
        { stdio: ['pipe', 'pipe', 'inherit'] },
      );
      children.push({ child, lines: createInterface({ input: child.stdout! })[Symbol.asyncIterator]() });
      // One at a time: the first creates and migrates the schema (the migration lock would
      // serialise them anyway).
      const ready = await children[i]!.lines.next();
      if (ready.value !== 'ready') throw new Error(`instance ${i} did not start: ${String(ready.value)}`);
    }
    const started = process.hrtime.bigint();
    for (const c of children) c.child.stdin!.write('go\n');
    const reports = await Promise.all(children.map(async (c) => JSON.parse((await c.lines.next()).value as string) as { events: number; batches: number }));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await Promise.all(children.map((c) => (c.child.exitCode === null ? once(c.child, 'exit') : null)));
    const total = reports.reduce((n, r) => n + r.events, 0);
    await checkLedger(engine, target, schema, total);
    return { seconds, eventsPerSec: total / seconds, batches: reports.reduce((n, r) => n + r.batches, 0) };
  }

  const configs = [
    { key: 'sqlite1', label: 'sqlite ×1  ', engine: 'sqlite' as const, instances: 1 },
    { key: 'postgres1', label: 'postgres ×1', engine: 'postgres' as const, instances: 1 },
    { key: 'postgres2', label: 'postgres ×2', engine: 'postgres' as const, instances: 2 },
  ];
  const results: Record<string, RunResult[]> = {};
  const callResults: Record<string, CallSetupResult[]> = {};
  try {
    for (const c of configs) await run(c.engine, c.instances); // warm-up (also the tsx cache)
    // Interleaved rounds, so a change in the machine's load hits every configuration alike.
    for (let r = 0; r < runs; r++) {
      for (const c of configs) {
        const res = await run(c.engine, c.instances);
        (results[c.key] ??= []).push(res);
        console.log(`  ${c.label} run ${r + 1}/${runs}: ${Math.round(res.eventsPerSec)} events/s (${res.seconds.toFixed(2)} s, ${res.batches} transactions)`);
      }
    }
    console.log(`call set-up: ${values.calls} calls per instance at ${values['call-rate']} new calls/s each; ${runs} runs each, interleaved`);
    for (let r = 0; r < runs; r++) {
      for (const c of configs) {
        const db = `${dbName}_calls_${c.key}_${r}`;
        if (c.engine === 'postgres') await admin.query(`CREATE DATABASE ${db}`);
        const res = await measureCallSetup({
          database: c.engine === 'sqlite' ? `sqlite:${join(dir, `${db}.sqlite`)}` : `${server}/${db}`,
          instances: c.instances,
          callsPerInstance: Number(values.calls),
          ratePerInstance: Number(values['call-rate']),
        });
        (callResults[c.key] ??= []).push(res);
        console.log(
          `  ${c.label} run ${r + 1}/${runs}: StasisStart→play p50 ${res.firstPlayP50Ms} / p99 ${res.firstPlayP99Ms} ms; key→continue p50 ${res.keyToContinueP50Ms} / p99 ${res.keyToContinueP99Ms} ms; ${res.continued}/${res.calls} continued`,
        );
      }
    }
  } finally {
    for (const c of configs) for (let r = 0; r < runs; r++) await admin.query(`DROP DATABASE IF EXISTS ${dbName}_calls_${c.key}_${r} WITH (FORCE)`);
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  }
  const med = (key: string) => Math.round(median(results[key]!.map((r) => r.eventsPerSec)));
  for (const c of configs) console.log(`${c.label}: median ${med(c.key)} events/s`);
  console.log(`postgres ×2 / ×1: ×${(med('postgres2') / med('postgres1')).toFixed(2)}; postgres ×1 / sqlite ×1: ×${(med('postgres1') / med('sqlite1')).toFixed(2)}`);
  for (const c of configs) {
    const m = callMedians(callResults[c.key]!);
    console.log(`${c.label}: call set-up medians: StasisStart→play p50 ${m.firstPlayP50Ms} / p99 ${m.firstPlayP99Ms} ms; key→continue p50 ${m.keyToContinueP50Ms} / p99 ${m.keyToContinueP99Ms} ms`);
  }
  console.log(
    JSON.stringify({
      bench: 'scale',
      ...machine,
      loadAvg1mAtEnd: machineInfo().loadAvg1m,
      postgres: pgVersion,
      synchronousCommit: syncCommit,
      events,
      writersPerInstance: writers,
      runs,
      maxBatch,
      medianEventsPerSec: Object.fromEntries(configs.map((c) => [c.key, med(c.key)])),
      medianTransactions: Object.fromEntries(configs.map((c) => [c.key, median(results[c.key]!.map((r) => r.batches))])),
      callsPerInstance: Number(values.calls),
      callRatePerInstance: Number(values['call-rate']),
      callSetupLatencyMs: Object.fromEntries(configs.map((c) => [c.key, callMedians(callResults[c.key]!)])),
    }),
  );
}

/** The run's ledger holds exactly `total` events and verifies (no fork, no gap). */
async function checkLedger(engine: 'sqlite' | 'postgres', target: string, schema: string, total: number): Promise<void> {
  const store =
    engine === 'sqlite'
      ? await openSqliteEvidenceStore({ path: target, mustExist: true, writerThread: false })
      : await openPgEvidenceStore({ url: target, schema, max: 1 });
  try {
    const result = await store.verify();
    if (!result.ok || result.checked !== total) throw new Error(`${engine} ledger after the run: ${JSON.stringify(result)}, expected ${total} events`);
  } finally {
    await store.close();
  }
}

/** Medians over the runs of each latency figure; `continued` is the worst run's. */
function callMedians(runs: readonly CallSetupResult[]): CallSetupResult {
  const m = (k: keyof CallSetupResult) => median(runs.map((r) => r[k]));
  return {
    calls: runs[0]!.calls,
    continued: Math.min(...runs.map((r) => r.continued)),
    firstPlayP50Ms: m('firstPlayP50Ms'),
    firstPlayP99Ms: m('firstPlayP99Ms'),
    keyToContinueP50Ms: m('keyToContinueP50Ms'),
    keyToContinueP99Ms: m('keyToContinueP99Ms'),
  };
}
