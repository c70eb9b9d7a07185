// The CPU cost of one event in the first checkpoint's scan, for callgrind (instruction counts
// do not move with the machine's load the way seconds do):
//
//   tsx bench/checkpoint-scan-cost.ts generate --path /tmp/l.sqlite --events 75000
//   valgrind --tool=callgrind --smc-check=all-non-file node --import tsx \
//     bench/checkpoint-scan-cost.ts scan --path /tmp/l.sqlite --events 25000   (then 75000)
//
// Instructions per event = (I(75000) - I(25000)) / 50000: start-up, compiling and warm-up
// cancel out. `scan` runs the real pass (SqliteLedgerTree.extendVerified from seq 1, the
// subtree cache emptied first) on --threads scan threads (default 1), or on the calling thread
// with --threads 0; with --pg URL it scans that PostgreSQL database instead (generate fills it).
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { openPg } from '../src/db/pg.js';
import { openSqlite } from '../src/db/sqlite.js';
import { PgLedgerTree } from '../src/evidence/checkpoint-pg.js';
import { SqliteLedgerTree } from '../src/evidence/checkpoint-sqlite.js';
import type { CachedLedgerTree } from '../src/evidence/merkle-cache.js';
import { GENESIS, generatePg, generateSqlite } from './ledger-generate.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    path: { type: 'string' },
    pg: { type: 'string' },
    events: { type: 'string', default: '50000' },
    threads: { type: 'string', default: '1' },
  },
});
const events = Number(values.events);
const threads = Number(values.threads);
const scan = { threads: Math.max(threads, 1), threadedFrom: threads === 0 ? Number.MAX_SAFE_INTEGER : 0 };

async function open(): Promise<{ tree: CachedLedgerTree; generate: (n: number) => Promise<void>; reset: () => Promise<void>; close: () => Promise<void> }> {
  if (values.pg) {
    const { pool } = await openPg({ url: values.pg, max: 2 });
    return {
      tree: new PgLedgerTree(pool, { url: values.pg, ...scan }),
      generate: async (n) => {
        await pool.query('SET synchronous_commit = off');
        await generatePg(pool, GENESIS, n);
      },
      reset: async () => void (await pool.query('DELETE FROM merkle_nodes')),
      close: () => pool.end(),
    };
  }
  const path = values.path!;
  const { db } = openSqlite({ path });
  return {
    tree: new SqliteLedgerTree(db, { path, ...scan }),
    generate: async (n) => void generateSqlite(db, GENESIS, n),
    reset: async () => {
      db.exec('DELETE FROM merkle_nodes');
    },
    close: async () => {
      db.close();
    },
  };
}

const ledger = await open();
try {
  if (positionals[0] === 'generate') {
    await ledger.generate(events);
    console.log(`generated ${events} events`);
  } else {
    await ledger.reset();
    const t = performance.now();
    const cpu = process.cpuUsage();
    const out = await ledger.tree.extendVerified(events, 1);
    const used = process.cpuUsage(cpu);
    if (!out.ok || out.checked !== events) throw new Error(`scan: ${JSON.stringify(out)}`);
    const cpuS = (used.user + used.system) / 1e6;
    console.log(JSON.stringify({ events, threads, wallS: Number(((performance.now() - t) / 1000).toFixed(3)), cpuS, cpuMicrosPerEvent: Number(((cpuS * 1e6) / events).toFixed(2)) }));
  }
} finally {
  await ledger.close();
}
