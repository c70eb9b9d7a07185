// npm run bench:marketing   (CONSENTLINE_BENCH_CALLS=100000 for ~0.8M events; CONSENTLINE_BENCH_FILE=path
// keeps the generated ledger there and reuses it on the next run; CONSENTLINE_BENCH_PG=none skips PostgreSQL)
//
// The marketing consent look-up (issue 22) on its own, on both engines: generates N calls as
// bench:api does (SQLite, real chain hashes), then per engine times one 1,000-number request in
// its parts (normalise, HMAC, registry read, access-log commit, the answer's JSON by zod and by
// hand) and whole through the HTTP stack (app.inject, as bench:api measures it). PostgreSQL gets
// the same ledger by `consentline migrate-store` into a database of its own, dropped at the end.
// The last line is one JSON object with every figure.
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { SqliteTokenStore } from '../src/api/tokens.js';
import type { CliIo } from '../src/cli/command.js';
import { migrateStore } from '../src/cli/commands/migrate-store.js';
import { openPg } from '../src/db/pg.js';
import { openSqlite } from '../src/db/sqlite.js';
import { PgMarketingRegistry } from '../src/evidence/marketing-pg.js';
import { SqliteMarketingRegistry } from '../src/evidence/marketing-sqlite.js';
import { openPgEvidenceStore } from '../src/evidence/pg-store.js';
import { openSqliteEvidenceStore } from '../src/evidence/sqlite-store.js';
import { callerOf, generate, N, PEPPER } from './api-generate.js';
import { measureMarketingLookup, measureMarketingStages, type MarketingLookupFigures, type MarketingStages } from './api-marketing.js';
import { machineInfo } from './ledger-measure.js';

const REQUESTS = Number(process.env.CONSENTLINE_BENCH_SAMPLES ?? 500);
const PG_SERVER = process.env.CONSENTLINE_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432';
const pick = (k: number, mod: number) => (k * 2654435761) % mod;
const numberOf = (k: number) => callerOf(pick(k, N));

interface EngineFigures {
  readonly loadAvg1m: number;
  readonly registryRows: number;
  readonly stagesMs: MarketingStages;
  readonly httpMs: MarketingLookupFigures;
}

async function main() {
  const machine = machineInfo();
  console.log(`machine: ${machine.cpu}, ${machine.cores} cores, load average ${machine.loadAvg1m}; Node ${machine.node}; SQLite ${machine.sqlite}`);
  const kept = process.env.CONSENTLINE_BENCH_FILE;
  const path = kept ?? join(mkdtempSync(join(process.env.CONSENTLINE_BENCH_DIR ?? process.env.TMPDIR ?? '/tmp', 'consentline-bench-mkt-')), 'bench.sqlite');
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    console.log(`generating ${N} calls into ${path} …`);
    const gen = generate(path);
    console.log(`generated ${gen.events} events in ${gen.seconds.toFixed(1)} s`);
  } else console.log(`reusing ${path} (generated for CONSENTLINE_BENCH_CALLS=${N}, as it must have been)`);
  const { db } = openSqlite({ path });
  const events = (db.prepare('SELECT max(seq) FROM events').pluck().get() as number) ?? 0;
  const registryRows = db.prepare('SELECT count(*) FROM marketing_consents').pluck().get() as number;
  const fileMb = Math.round(statSync(path).size / 1e6);
  console.log(`ledger: ${events} events, ${registryRows} registry entries, ${fileMb} MB; ${REQUESTS} look-ups of 1,000 numbers per engine`);

  const sqlite = await (async (): Promise<EngineFigures> => {
    const store = await openSqliteEvidenceStore({ path });
    try {
      const deps = { registry: new SqliteMarketingRegistry(db), store, pepper: PEPPER, numberOf, requests: REQUESTS };
      const stagesMs = await measureMarketingStages(deps);
      const httpMs = await measureMarketingLookup({ ...deps, tokens: new SqliteTokenStore(db) });
      return { loadAvg1m: machineInfo().loadAvg1m, registryRows, stagesMs, httpMs };
    } finally {
      await store.close();
    }
  })();
  report('sqlite', sqlite);
  db.close();

  const postgres = PG_SERVER === 'none' ? null : await onPostgres(path);
  if (postgres) report('postgres', postgres);
  if (!kept) rmSync(dirname(path), { recursive: true, force: true });
  console.log(JSON.stringify({ bench: 'marketing', ...machine, loadAvg1mAtEnd: machineInfo().loadAvg1m, calls: N, events, dbMb: fileMb, requests: REQUESTS, engines: { sqlite, postgres } }));
}

function report(engine: string, f: EngineFigures) {
  const parts = Object.entries(f.stagesMs).map(([k, v]) => `${k} ${v.p50}/${v.p99}/${v.cpuMean}`).join(', ');
  console.log(`${engine} (load average ${f.loadAvg1m}): parts, ms p50/p99/mean CPU: ${parts}`);
  console.log(`${engine}: HTTP p50 ${f.httpMs.p50} ms, p99 ${f.httpMs.p99} ms, CPU ${f.httpMs.cpuPerRequest} ms per request (incl. the bench's inject and response parse), answers ${JSON.stringify(f.httpMs.states)}`);
}

/** The same ledger moved to a fresh PostgreSQL database (as `consentline migrate-store` moves it), measured, dropped. */
async function onPostgres(path: string): Promise<EngineFigures> {
  const name = `consentline_bench_mkt_${process.pid}`;
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: `${PG_SERVER}/postgres` });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = `${PG_SERVER}/${name}`;
  try {
    console.log(`moving the ledger to ${name} (migrate-store) …`);
    const io: CliIo = { out: (s) => console.log(`  ${s}`), err: () => undefined, env: process.env, now: () => Date.now() };
    const code = await migrateStore.run(['--from', `sqlite:${path}`, '--to', url], io);
    if (code !== 0) throw new Error(`migrate-store ended with ${code}`);
    const store = await openPgEvidenceStore({ url });
    const { pool } = await openPg({ url, max: 2 });
    const { db: tokenDb } = openSqlite({ path: ':memory:' });
    try {
      await pool.query('ANALYZE');
      const registryRows = Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM marketing_consents')).rows[0]!.n);
      const deps = { registry: new PgMarketingRegistry(pool), store, pepper: PEPPER, numberOf, requests: REQUESTS };
      const stagesMs = await measureMarketingStages(deps);
      const httpMs = await measureMarketingLookup({ ...deps, tokens: new SqliteTokenStore(tokenDb) });
      return { loadAvg1m: machineInfo().loadAvg1m, registryRows, stagesMs, httpMs };
    } finally {
      tokenDb.close();
      await store.close();
      await pool.end();
    }
  } finally {
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

await main();
