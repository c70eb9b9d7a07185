// One measurement of bench:checkpoint, in a process of its own so that its peak RSS is the
// checkpoint's: the floor (one thread reading every event and hashing it once), the first
// checkpoint with no subtree cache, proofs at that size, then checkpoints after 10,000 more events.
import { hash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { openReadSide } from '../src/db/engine.js';
import { createPgPool, type PgPool } from '../src/db/pg.js';
import { openSqlite, type SqliteDatabase } from '../src/db/sqlite.js';
import { pgChainRows } from '../src/evidence/checkpoint-pg.js';
import { sqliteChainRows } from '../src/evidence/checkpoint-sqlite.js';
import { loadOrCreateSigner } from '../src/evidence/checkpoint.js';
import { readSideCheckpoints } from '../src/evidence/open-read-side.js';
import { generatePg, generateSqlite, type ChainHead } from './ledger-generate.js';

const { values } = parseArgs({
  options: {
    engine: { type: 'string' },
    target: { type: 'string' },
    schema: { type: 'string' },
    threads: { type: 'string' },
    proofs: { type: 'string', default: '200' },
  },
});
const engine = values.engine as 'sqlite' | 'postgres';
const target = values.target!;
const threads = Number(values.threads);

const cpuSeconds = (since: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
};
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const round = (x: number, d = 3) => Number(x.toFixed(d));
const pick = (k: number, mod: number) => 1 + ((k * 2654435761) % mod);

// A writable connection of our own, for reading the floor and appending the 10,000 events.
let sqliteDb: SqliteDatabase | null = null;
let pgDb: PgPool | null = null;
if (engine === 'sqlite') sqliteDb = openSqlite({ path: target, mustExist: true }).db;
else pgDb = createPgPool({ url: target, max: 1, ...(values.schema ? { schema: values.schema } : {}) });
const rows = sqliteDb ? sqliteChainRows(sqliteDb) : pgChainRows(pgDb!);

async function head(): Promise<ChainHead> {
  const sql = 'SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1';
  const r = sqliteDb ? (sqliteDb.prepare(sql).get() as ChainHead | undefined) : (await pgDb!.query<ChainHead>(sql)).rows[0];
  if (!r) throw new Error('empty ledger');
  return r;
}

const size = (await head()).seq;

/** One thread, every event read once and its chain hash computed once: what no checkpoint can go below on one core. */
async function floor(): Promise<{ seconds: number; cpuSeconds: number }> {
  const t = performance.now();
  const cpu = process.cpuUsage();
  let n = 0;
  for await (const page of rows.pages(1, size)) {
    for (const r of page) {
      // The link text the database puts together is the chain hash's input.
      hash('sha256', r[2] ?? '', 'hex');
      n++;
    }
  }
  if (n !== size) throw new Error(`floor read ${n} of ${size} events`);
  return { seconds: round((performance.now() - t) / 1000, 2), cpuSeconds: round(cpuSeconds(cpu), 2) };
}

const keyDir = mkdtempSync(join(tmpdir(), 'consentline-bench-cp-'));
const { signer } = loadOrCreateSigner(join(keyDir, 'key.pem'), 'consentline.bench/checkpoint');
const side = await openReadSide(engine === 'sqlite' ? { kind: 'sqlite', path: target } : { kind: 'postgres', url: target }, {
  ...(values.schema ? { schema: values.schema } : {}),
  scan: { threads },
});
const service = readSideCheckpoints(side, { signer });

try {
  const floorRun = await floor();
  const rssBefore = process.resourceUsage().maxRSS;
  let t = performance.now();
  const cpu = process.cpuUsage();
  const first = await service.create();
  const fromScratchSeconds = round((performance.now() - t) / 1000, 2);
  const fromScratchCpuSeconds = round(cpuSeconds(cpu), 2);
  if (!first.ok || first.checkpoint.treeSize !== size) throw new Error(`first checkpoint: ${JSON.stringify(first)}`);
  const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);

  const proofs = Number(values.proofs);
  const inclusion: number[] = [];
  const consistency: number[] = [];
  const proofCpu = process.cpuUsage();
  for (let k = 0; k < proofs; k++) {
    t = performance.now();
    await service.inclusion(pick(k, size), size);
    inclusion.push(performance.now() - t);
    t = performance.now();
    await service.consistency(pick(k + 7, size - 1), size);
    consistency.push(performance.now() - t);
  }

  const proofCpuMs = (cpuSeconds(proofCpu) * 1000) / (2 * proofs);
  const incremental: number[] = [];
  const incrementalCpu: number[] = [];
  for (let round_ = 0; round_ < 3; round_++) {
    const from = await head();
    if (sqliteDb) generateSqlite(sqliteDb, from, 10_000);
    else await generatePg(pgDb!, from, 10_000);
    t = performance.now();
    const c = process.cpuUsage();
    const next = await service.create();
    incremental.push(performance.now() - t);
    incrementalCpu.push(cpuSeconds(c) * 1000);
    if (!next.ok || next.checkpoint.treeSize !== from.seq + 10_000) throw new Error(`incremental checkpoint: ${JSON.stringify(next)}`);
  }

  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  console.log(
    JSON.stringify({
      events: size,
      threads,
      floor: floorRun,
      fromScratchSeconds,
      fromScratchCpuSeconds,
      cpuMicrosPerEvent: round((fromScratchCpuSeconds * 1e6) / size, 2),
      overFloor: round(fromScratchSeconds / floorRun.seconds, 2),
      peakRssMb,
      rssBeforeMb: Math.round(rssBefore / 1024),
      incrementalMs: round(pct(incremental, 50), 1),
      incrementalRunsMs: incremental.map((x) => round(x, 1)),
      incrementalCpuMs: round(pct(incrementalCpu, 50), 1),
      proofCpuMs: round(proofCpuMs),
      inclusionProofMs: round(avg(inclusion)),
      inclusionProofP99Ms: round(pct(inclusion, 99)),
      consistencyProofMs: round(avg(consistency)),
      consistencyProofP99Ms: round(pct(consistency, 99)),
    }),
  );
} finally {
  await side.close();
  sqliteDb?.close();
  await pgDb?.end();
  rmSync(keyDir, { recursive: true, force: true });
}
