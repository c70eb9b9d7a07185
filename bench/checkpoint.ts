// npm run bench:checkpoint [-- --events 8000000 --small 1000000 --engines sqlite,postgres --threads T --pg URL --dir PATH]
//
// The first checkpoint over a big ledger, with no subtree cache and no earlier checkpoint (a
// restart without the cache, a new instance, a migration): it verifies the whole chain and
// hashes every leaf. Per engine, the bench generates a ledger of --small events (raw inserts,
// real chain hashes), measures, grows it to --events and measures again, so the output shows
// how the cost grows. Each measurement runs in its own process (bench/checkpoint-measure.ts):
//   floor               one thread reading every event and computing its chain hash once
//   fromScratchSeconds  the first checkpoint (scan threads: --threads, default one per core)
//   incrementalMs       a checkpoint after 10,000 more events (median of 3)
//   inclusionProofMs, consistencyProofMs   average over 200 proofs at that size
// The machine is shared: the load average is printed at each step, and CPU seconds per event
// beside wall time, since the CPU a pass costs does not depend on what else runs.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { openPg } from '../src/db/pg.js';
import { openSqlite } from '../src/db/sqlite.js';
import { GENESIS, generatePg, generateSqlite, type ChainHead } from './ledger-generate.js';
import { machineInfo } from './ledger-measure.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '8000000' },
    small: { type: 'string', default: '1000000' },
    engines: { type: 'string', default: 'sqlite,postgres' },
    threads: { type: 'string', default: String(availableParallelism()) },
    pg: { type: 'string', default: process.env.CONSENTLINE_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432' },
    dir: { type: 'string', default: process.env.CONSENTLINE_BENCH_DIR ?? tmpdir() },
  },
});
const sizes = [Number(values.small), Number(values.events)].filter((n, i, all) => n > 0 && all.indexOf(n) === i).sort((a, b) => a - b);
const engines = values.engines.split(',') as ('sqlite' | 'postgres')[];
const MEASURE = fileURLToPath(new URL('./checkpoint-measure.ts', import.meta.url));
const load = () => Number(loadavg()[0]!.toFixed(2));

type Figures = Record<string, unknown> & { fromScratchSeconds: number; loadAvg1m: number };

function measure(engine: string, target: string, schema?: string): Figures {
  const args = ['--import', 'tsx', MEASURE, '--engine', engine, '--target', target, '--threads', values.threads, ...(schema ? ['--schema', schema] : [])];
  const loadAvg1m = load();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${engine} measurement failed (exit ${r.status}): ${r.stdout}`);
  const line = r.stdout.trim().split('\n').at(-1)!;
  return { ...(JSON.parse(line) as Figures), loadAvg1m, loadAvg1mAfter: load() };
}

/** Empties the subtree cache and the checkpoints, as on a new instance. */
const RESET = 'DELETE FROM merkle_nodes; DELETE FROM checkpoints;';

async function runSqlite(dir: string): Promise<Record<string, Figures>> {
  const path = join(dir, 'checkpoint.sqlite');
  const { db } = openSqlite({ path });
  db.pragma('cache_size = -200000');
  const out: Record<string, Figures> = {};
  let head: ChainHead = GENESIS;
  try {
    for (const n of sizes) {
      console.log(`sqlite: generating events ${head.seq + 1}..${n} …`);
      const gen = generateSqlite(db, head, n - head.seq);
      head = gen.head;
      db.exec(RESET);
      db.pragma('wal_checkpoint(TRUNCATE)');
      console.log(`  ${n} events in ${gen.seconds.toFixed(0)} s, file ${Math.round(statSync(path).size / 1e6)} MB; load average ${load()}; measuring …`);
      out[n] = measure('sqlite', path);
      console.log(`  ${JSON.stringify(out[n])}`);
      head = await sqliteHead(path);
    }
  } finally {
    db.close();
  }
  return out;
}

async function sqliteHead(path: string): Promise<ChainHead> {
  const { db } = openSqlite({ path, mustExist: true });
  try {
    return db.prepare('SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1').get() as ChainHead;
  } finally {
    db.close();
  }
}

async function runPostgres(): Promise<Record<string, Figures>> {
  const server = values.pg.replace(/\/$/, '');
  const dbName = `cl_bench_cp_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: `${server}/postgres` });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const url = `${server}/${dbName}`;
  const out: Record<string, Figures> = {};
  try {
    const { pool } = await openPg({ url, max: 1 });
    let head: ChainHead = GENESIS;
    try {
      for (const n of sizes) {
        console.log(`postgres: generating events ${head.seq + 1}..${n} …`);
        await pool.query('SET synchronous_commit = off');
        const gen = await generatePg(pool, head, n - head.seq);
        await pool.query(RESET);
        await pool.query('VACUUM ANALYZE events');
        console.log(`  ${n} events in ${gen.seconds.toFixed(0)} s; load average ${load()}; measuring …`);
        out[n] = measure('postgres', url);
        console.log(`  ${JSON.stringify(out[n])}`);
        const { rows } = await pool.query<ChainHead>('SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1');
        head = rows[0]!;
      }
    } finally {
      await pool.end();
    }
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
  }
  return out;
}

const machine = machineInfo();
console.log(`machine: ${machine.cpu}, ${machine.cores} cores, load average ${machine.loadAvg1m}; Node ${machine.node}; SQLite ${machine.sqlite}`);
console.log(`sizes ${sizes.join(', ')} events; engines ${engines.join(', ')}; scan threads ${values.threads}`);
const dir = mkdtempSync(join(values.dir, 'consentline-bench-checkpoint-'));
const results: Record<string, Record<string, Figures>> = {};
try {
  for (const engine of engines) results[engine] = engine === 'sqlite' ? await runSqlite(dir) : await runPostgres();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const [small, big] = [sizes[0]!, sizes[sizes.length - 1]!];
for (const [engine, bySize] of Object.entries(results)) {
  const a = bySize[small]!;
  const b = bySize[big]!;
  console.log(
    `${engine}: from scratch ${a.fromScratchSeconds} s at ${small} → ${b.fromScratchSeconds} s at ${big} (×${(b.fromScratchSeconds / a.fromScratchSeconds).toFixed(2)} for ×${(big / small).toFixed(1)} events); ` +
      `CPU ${a.cpuMicrosPerEvent} → ${b.cpuMicrosPerEvent} µs/event; incremental ${a.incrementalMs} → ${b.incrementalMs} ms; ` +
      `inclusion ${a.inclusionProofMs} → ${b.inclusionProofMs} ms; consistency ${a.consistencyProofMs} → ${b.consistencyProofMs} ms; peak RSS ${b.peakRssMb} MB`,
  );
}
const primary = results[engines[0]!]![big]!;
console.log(
  JSON.stringify({
    bench: 'checkpoint',
    ...machine,
    loadAvg1mAtEnd: load(),
    events: big,
    sizes,
    threads: Number(values.threads),
    engine: engines[0],
    fromScratchSeconds: primary.fromScratchSeconds,
    incrementalMs: primary.incrementalMs,
    inclusionProofMs: primary.inclusionProofMs,
    consistencyProofMs: primary.consistencyProofMs,
    peakRssMb: primary.peakRssMb,
    results,
  }),
);
