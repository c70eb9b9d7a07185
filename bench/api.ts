// npm run bench:api   (CONSENTLINE_BENCH_CALLS=100000 for a quick run; CONSENTLINE_BENCH_DIR to pick the disk)
//
// Generates N calls (~10 events each) straight into a temp SQLite file with real chain hashes,
// then measures the auditor/DPO API on it: p50/p99 of search by caller number, by DID + day and
// one call's timeline (at the query layer and through the HTTP stack, where every read also
// appends a durable access.logged event), requests/s of the timeline route under autocannon
// (in its own process) against the same query on a plain Fastify route (timelineRatio), how
// many access-log entries rode each fsync'ed commit, and the first checkpoint over the whole
// ledger; and the console's pages (bench/api-console.ts). The last line is one JSON object with every figure.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Fastify from 'fastify';
import { SqliteTokenStore } from '../src/api/tokens.js';
import { consoleCookies, consoleRoutes } from '../src/console/index.js';
import { SqliteSessionStore } from '../src/console/sessions-sqlite.js';
import { ConsoleSessions } from '../src/console/sessions.js';
import { openSqlite } from '../src/db/sqlite.js';
import { CheckpointService, loadOrCreateSigner } from '../src/evidence/checkpoint.js';
import { SqliteCheckpointRepo, SqliteLedgerTree } from '../src/evidence/checkpoint-sqlite.js';
import { SqliteMarketingRegistry } from '../src/evidence/marketing-sqlite.js';
import { SqliteEvidenceQueries } from '../src/evidence/queries-sqlite.js';
import { openSqliteEvidenceStore } from '../src/evidence/sqlite-store.js';
import { lookupKey } from '../src/evidence/subject.js';
import { evidenceApiApp } from './api-app.js';
import { callerOf, callId, DIDS, generate, iso, N, PEPPER, startOf } from './api-generate.js';
import { measureConsolePages } from './api-console.js';
import { loadInChild } from './api-load.js';
import { measureMarketingLookup, measureMarketingStages } from './api-marketing.js';
import { machineInfo } from './ledger-measure.js';

const SAMPLES = Number(process.env.CONSENTLINE_BENCH_SAMPLES ?? 1_000);
const LOAD_SECONDS = Number(process.env.CONSENTLINE_BENCH_LOAD_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.CONSENTLINE_BENCH_CONNECTIONS ?? 20);
const KEEP = process.env.CONSENTLINE_BENCH_KEEP === '1';

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Number(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!.toFixed(3));
};

async function timed(n: number, fn: (k: number) => Promise<unknown>): Promise<{ p50: number; p99: number }> {
  for (let k = 0; k < Math.min(50, n); k++) await fn(k + 1_000_003); // warm-up
  const ms: number[] = [];
  for (let k = 0; k < n; k++) {
    const t = performance.now();
    await fn(k);
    ms.push(performance.now() - t);
  }
  return { p50: pct(ms, 50), p99: pct(ms, 99) };
}

// A deterministic spread of targets, so every run asks for the same things.
const pick = (k: number, mod: number) => (k * 2654435761) % mod;

async function main() {
  const machine = machineInfo();
  console.log(`machine: ${machine.cpu}, ${machine.cores} cores, load average ${machine.loadAvg1m}; Node ${machine.node}; SQLite ${machine.sqlite}`);
  const dir = mkdtempSync(join(process.env.CONSENTLINE_BENCH_DIR ?? process.env.TMPDIR ?? '/tmp', 'consentline-bench-api-'));
  const path = join(dir, 'bench.sqlite');
  console.log(`generating ${N} calls into ${path} …`);
  const gen = generate(path);
  const fileMb = Math.round(statSync(path).size / 1e6);
  console.log(`generated ${N} calls, ${gen.events} events in ${gen.seconds.toFixed(1)} s (${Math.round(gen.events / gen.seconds)} events/s), ${fileMb} MB`);

  const store = await openSqliteEvidenceStore({ path });
  const { db } = openSqlite({ path });
  const queries = new SqliteEvidenceQueries(db);
  const { signer } = loadOrCreateSigner(join(dir, 'checkpoint.pem'), 'consentline.bench/ledger');
  const checkpoints = new CheckpointService({ tree: new SqliteLedgerTree(db, { path }), repo: new SqliteCheckpointRepo(db), signer });
  const tokens = new SqliteTokenStore(db);
  const dpo = (await tokens.create('bench', 'dpo')).token;
  // The console's pages too, read through the same routes with an auditor's session cookie.
  const sessions = new ConsoleSessions(new SqliteSessionStore(db), { idleMinutes: 30, absoluteHours: 12, secureCookie: 'auto' });
  const app = await evidenceApiApp({
    store, tokens, queries, checkpoints, signer, pepper: PEPPER, controllerName: 'Bench', logLevel: 'warn',
    cookies: consoleCookies(sessions), extraRoutes: [consoleRoutes({ tokens, sessions })],
  });
  const auth = { authorization: `Bearer ${dpo}` };
  const day = (k: number) => iso(startOf(pick(k, N))).slice(0, 10);
  const nextDay = (d: string) => iso(Date.parse(`${d}T00:00:00Z`) + 86_400_000).slice(0, 10);

  console.log(`query layer, ${SAMPLES} sequential samples each …`);
  const q = {
    byCaller: await timed(SAMPLES, (k) => queries.searchCalls({ callerLookup: lookupKey(PEPPER, callerOf(pick(k, N))), limit: 50 })),
    byDidDay: await timed(SAMPLES, (k) => queries.searchCalls({ did: DIDS[k % DIDS.length]!, from: `${day(k)}T00:00:00.000Z`, to: `${nextDay(day(k))}T00:00:00.000Z`, limit: 50 })),
    timeline: await timed(SAMPLES, (k) => queries.timeline(callId(pick(k, N)))),
  };
  console.log(`  by caller ${JSON.stringify(q.byCaller)} ms, by DID + day ${JSON.stringify(q.byDidDay)} ms, timeline ${JSON.stringify(q.timeline)} ms`);

  console.log('HTTP routes (app.inject; each read also appends a durable access.logged event) …');
  const ok = (r: { statusCode: number; body: string }) => { if (r.statusCode !== 200) throw new Error(`HTTP ${r.statusCode}: ${r.body.slice(0, 200)}`); };
  const h = {
    byCaller: await timed(SAMPLES, async (k) => ok(await app.inject({ method: 'POST', url: '/calls/search-by-caller', headers: auth, payload: { callerNumber: callerOf(pick(k, N)) } }))),
    byDidDay: await timed(SAMPLES, async (k) => ok(await app.inject({ url: `/calls?did=${encodeURIComponent(DIDS[k % DIDS.length]!)}&from=${day(k)}T00:00:00Z&to=${nextDay(day(k))}T00:00:00Z`, headers: auth }))),
    timeline: await timed(SAMPLES, async (k) => ok(await app.inject({ url: `/calls/${callId(pick(k, N))}/timeline`, headers: auth }))),
  };
  console.log(`  by caller ${JSON.stringify(h.byCaller)} ms, by DID + day ${JSON.stringify(h.byDidDay)} ms, timeline ${JSON.stringify(h.timeline)} ms`);
  // 1,000 look-ups (not 200): a p99 of 200 samples is their second-slowest.
  const marketing = await measureMarketingLookup({ tokens, registry: new SqliteMarketingRegistry(db), store, pepper: PEPPER, numberOf: (k) => callerOf(pick(k, N)), requests: Math.min(SAMPLES, 1_000) });
  console.log(`  marketing look-up, ${marketing.numbersPerRequest} numbers per request: ${JSON.stringify(marketing)}`);
  const marketingStages = await measureMarketingStages({ registry: new SqliteMarketingRegistry(db), store, pepper: PEPPER, numberOf: (k) => callerOf(pick(k, N)), requests: Math.min(SAMPLES, 200) });
  console.log(`  its parts, outside HTTP: ${JSON.stringify(marketingStages)}`);
  const consolePages = await measureConsolePages({ app, tokens, sessions, day, callId: (k) => callId(pick(k, N)), samples: Math.min(SAMPLES, 300) });
  console.log(`  console pages (auditor session, server time): ${JSON.stringify(consolePages)}`);

  console.log(`load: autocannon in its own process, ${CONNECTIONS} connections, ${LOAD_SECONDS} s each; load average ${machineInfo().loadAvg1m} …`);
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  const loadCallIds = Array.from({ length: 5_000 }, (_, k) => callId(pick(k + 7, N)));
  const paths = loadCallIds.map((id) => `/calls/${id}/timeline`);
  // Each load run reads the same 5,000 timelines: read them once first, so the first run does not
  // meet a cold page cache the later ones do not (after a large generation it halved the first).
  for (const id of loadCallIds) await queries.timeline(id);
  const spec = { headers: auth, connections: CONNECTIONS, seconds: LOAD_SECONDS };
  // The baseline: the same query on a plain Fastify route (no token, no schemas, no access log),
  // measured before and after the real route so that a change in the machine's load shows.
  const plain = Fastify();
  plain.get<{ Params: { callId: string } }>('/plain/calls/:callId/timeline', async (req) => queries.timeline(req.params.callId));
  const plainAddress = await plain.listen({ host: '127.0.0.1', port: 0 });
  const plainPaths = paths.map((p) => `/plain${p}`);
  const plainBefore = await loadInChild({ ...spec, url: plainAddress, paths: plainPaths });
  const before = store.writeStats();
  const timelineLoad = await loadInChild({ ...spec, url: address, paths });
  const after = store.writeStats();
  const plainAfter = await loadInChild({ ...spec, url: plainAddress, paths: plainPaths });
  await app.close();
  await plain.close();
  const plainLoad = plainBefore.requestsPerSec <= plainAfter.requestsPerSec ? plainBefore : plainAfter;
  const commits = { entries: after.items - before.items, transactions: after.batches - before.batches };
  const timelineRatio = Number((timelineLoad.requestsPerSec / plainLoad.requestsPerSec).toFixed(3));
  console.log(`  timeline route ${JSON.stringify(timelineLoad)}; plain Fastify, same query ${JSON.stringify(plainBefore)} before, ${JSON.stringify(plainAfter)} after`);
  console.log(`  timelineRatio ${timelineRatio} (over the lower plain run); access-log entries ${commits.entries} in ${commits.transactions} fsync'ed transactions (${(commits.entries / Math.max(1, commits.transactions)).toFixed(1)} per commit); load average ${machineInfo().loadAvg1m}`);

  console.log('first checkpoint over the whole ledger (builds the subtree cache) …');
  let t = performance.now();
  const cp = await checkpoints.create();
  const firstCheckpointSec = Number(((performance.now() - t) / 1000).toFixed(2));
  if (!cp.ok) throw new Error(`checkpoint refused: ${cp.reason}`);
  t = performance.now();
  for (let k = 0; k < 200; k++) await checkpoints.inclusion(1 + pick(k, cp.checkpoint.treeSize), cp.checkpoint.treeSize);
  const proofMs = Number(((performance.now() - t) / 200).toFixed(3));
  console.log(`  tree size ${cp.checkpoint.treeSize}: ${firstCheckpointSec} s (includes verifying the chain); inclusion proof ${proofMs} ms average`);

  await store.close().then(() => db.close());
  if (!KEEP) rmSync(dir, { recursive: true, force: true });
  console.log(
    JSON.stringify({
      bench: 'api',
      ...machine,
      loadAvg1mAtEnd: machineInfo().loadAvg1m,
      calls: N,
      events: gen.events,
      dbMb: fileMb,
      generation: { seconds: Number(gen.seconds.toFixed(1)), eventsPerSec: Math.round(gen.events / gen.seconds) },
      samples: SAMPLES,
      queryMs: q,
      httpMs: { ...h, marketingLookup: marketing },
      marketingStagesMs: marketingStages,
      consoleMs: consolePages,
      timelineRatio,
      load: { connections: CONNECTIONS, seconds: LOAD_SECONDS, timelineRoute: timelineLoad, plainFastify: plainLoad, plainFastifyRuns: [plainBefore, plainAfter], accessLogCommits: commits },
      checkpoint: { treeSize: cp.checkpoint.treeSize, firstSeconds: firstCheckpointSec, inclusionProofMs: proofMs },
    }),
  );
}

await main();
