// npm run bench:api   (CONSENTLINE_BENCH_CALLS=100000 for a quick run; CONSENTLINE_BENCH_DIR to pick the disk)
//
// Generates N calls (~10 events each) straight into a temp SQLite file with real chain hashes,
// then measures the auditor/DPO API on it: p50/p99 of search by caller number, by DID + day and
// one call's timeline (at the query layer and through the HTTP stack, where every read also
// appends a durable access.logged event), requests/s of the timeline route under autocannon
// against a plain Fastify route, and the first checkpoint over the whole ledger. The last line
// is one JSON object with every figure.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Fastify from 'fastify';
import { buildApp } from '../src/api/app.js';
import { evidenceRoutes } from '../src/api/routes/evidence.js';
import { SqliteTokenStore } from '../src/api/tokens.js';
import { openSqlite } from '../src/db/sqlite.js';
import { AccessLog } from '../src/evidence/access-log.js';
import { canonicalBodyFromParts, canonicalJson, GENESIS_HASH, linkHash } from '../src/evidence/chain.js';
import { CheckpointService, loadOrCreateSigner } from '../src/evidence/checkpoint.js';
import { SqliteCheckpointRepo, SqliteLedgerTree } from '../src/evidence/checkpoint-sqlite.js';
import { SqliteEvidenceQueries } from '../src/evidence/queries-sqlite.js';
import { openSqliteEvidenceStore } from '../src/evidence/sqlite-store.js';
import { createSubject, lookupKey } from '../src/evidence/subject.js';
import type { EventKind } from '../src/evidence/types.js';
import { createLogger } from '../src/shared/log.js';
import { createMetrics } from '../src/shared/metrics.js';
import { measureMarketingLookup } from './api-marketing.js';
import { machineInfo } from './ledger-measure.js';

const N = Number(process.env.CONSENTLINE_BENCH_CALLS ?? 1_000_000);
const SAMPLES = Number(process.env.CONSENTLINE_BENCH_SAMPLES ?? 1_000);
const LOAD_SECONDS = Number(process.env.CONSENTLINE_BENCH_LOAD_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.CONSENTLINE_BENCH_CONNECTIONS ?? 20);
const KEEP = process.env.CONSENTLINE_BENCH_KEEP === '1';
const PEPPER = 'bench-pepper-0123456789abcdef0123456789abcdef';
const DIDS = Array.from({ length: 20 }, (_, i) => `+4822${String(1000000 + i * 7919).slice(0, 7)}`);
const CALLERS = Math.max(1, Math.floor(N / 5));
const START = Date.parse('2025-01-01T00:00:00.000Z');
const SPAN = 365 * 86_400_000;
const AUDIO = 'c3'.repeat(32);
const ROWS_PER_TX = 10_000;
const INTERLEAVE = 16;

const callId = (i: number) => `call-${i.toString(36).padStart(6, '0')}`;
const callerOf = (i: number) => `+48${500000000 + ((i * 7919) % CALLERS)}`;
const didOf = (i: number) => DIDS[(i * 31) % DIDS.length]!;
const startOf = (i: number) => START + Math.floor((i * SPAN) / N);
const iso = (t: number) => new Date(t).toISOString();
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Number(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!.toFixed(3));
};

type Ev = [kind: EventKind, data: string];

/** One call's events as [kind, JCS data]: keys already in JCS order, values plain ASCII. */
function callEvents(i: number, caller: string | null): { events: Ev[]; outcome: string; recording: string; marketing: string } {
  const t = startOf(i);
  const prompt = (id: string, step: string, playback: string, ms: number) =>
    `{"audioSha256":"${AUDIO}","endedAt":"${iso(t + ms + 900)}","lang":"pl","playback":"${playback}","playbackId":"${callId(i)}-${ms}","promptId":"${id}","startedAt":"${iso(t + ms)}","step":"${step}","version":"3"}`;
  const started: Ev = [
    'call.started',
    `{"caller":${caller ? `"${caller}"` : 'null'},"channelId":"ch-${i}","did":"${didOf(i)}","flowId":"${i % 4 === 0 ? 'sales' : 'main'}","instance":"cl-1","lang":"pl","legalBasis":"consent_by_conduct","server":"pbx-1"}`,
  ];
  const head: Ev[] = [started, ['prompt.played', prompt('lang-choice', 'language', 'completed', 100)], ['dtmf.received', '{"digit":"1"}']];
  const r = i % 20;
  if (r < 3) {
    return { events: [...head, ['prompt.played', prompt('notice', 'notice', 'hangup', 2000)], ['call.abandoned', '{"step":"notice"}']], outcome: 'abandoned', recording: 'no', marketing: 'none' };
  }
  if (r === 3) {
    return {
      events: [...head, ['prompt.played', prompt('notice', 'notice', 'completed', 2000)], ['call.failed', '{"reason":"ari_unreachable","recording":"no","route":"fallback","step":"menu"}'], ['call.ended', '{}']],
      outcome: 'failed',
      recording: 'no',
      marketing: 'none',
    };
  }
  const menu: Ev[] = [['prompt.played', prompt('notice', 'notice', 'completed', 2000)], ['prompt.played', prompt('menu', 'menu', 'completed', 12000)], ['dtmf.received', '{"digit":"2"}']];
  if (r < 6) {
    return {
      events: [...head, ...menu, ['clause.listened', '{"completed":true,"lang":"pl"}'], ['objection.made', '{"legalBasis":"consent_by_conduct"}'], ['call.continued', '{"lang":"pl","marketing":"none","outcome":"objected","recording":"no","route":"agents"}'], ['call.ended', '{}']],
      outcome: 'objected',
      recording: 'no',
      marketing: 'none',
    };
  }
  const m = r % 2 === 0 ? 'yes' : 'no';
  return {
    events: [
      ...head,
      ...menu,
      ['consent.recording', '{"decision":"granted","how":"conduct","legalBasis":"consent_by_conduct"}'],
      ['consent.marketing', `{"channels":["phone","sms"],"controller":"Example Controller Sp. z o.o.","decision":"${m}","digit":"${m === 'yes' ? 1 : 2}","lang":"pl"}`],
      ['call.continued', `{"lang":"pl","marketing":"${m}","outcome":"continued","recording":"yes","route":"agents"}`],
    ],
    outcome: 'continued',
    recording: 'yes',
    marketing: m,
  };
}

function generate(path: string): { events: number; seconds: number } {
  const { db } = openSqlite({ path });
  // Generation only: the measured API reads a normal WAL file afterwards.
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -1000000');
  const st = {
    event: db.prepare('INSERT INTO events (seq, call_id, at, kind, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    call: db.prepare(
      `INSERT INTO calls (call_id, started_at, flow_id, did, caller_lookup, caller_masked, language, legal_basis, outcome, recording, marketing, ended_at, server)
       VALUES (?, ?, ?, ?, ?, ?, 'pl', 'consent_by_conduct', ?, ?, ?, ?, 'pbx-1')`,
    ),
    subject: db.prepare('INSERT INTO subjects (commitment, lookup_key, masked, e164, salt, call_id) VALUES (?, ?, ?, ?, ?, ?)'),
  };
  let seq = 0;
  let prev = GENESIS_HASH;
  const t0 = performance.now();
  let lastReport = t0;
  let pending: Array<() => void> = [];
  const flush = db.transaction((work: Array<() => void>) => {
    for (const w of work) w();
  });
  for (let base = 0; base < N; base += INTERLEAVE) {
    const group = [];
    for (let i = base; i < Math.min(N, base + INTERLEAVE); i++) {
      const number = i % 50 === 49 ? null : callerOf(i);
      const subject = number ? createSubject(number, PEPPER) : null;
      const c = callEvents(i, subject?.commitment ?? null);
      if (i === 0) for (const [, data] of c.events) if (canonicalJson(JSON.parse(data)) !== data) throw new Error(`not JCS: ${data}`);
      const t = startOf(i);
      pending.push(() => {
        st.call.run(callId(i), iso(t), i % 4 === 0 ? 'sales' : 'main', didOf(i), subject?.lookupKey ?? null, subject?.masked ?? null, c.outcome, c.recording, c.marketing, iso(t + 60_000));
        if (subject) st.subject.run(subject.commitment, subject.lookupKey, subject.masked, subject.e164, subject.salt, callId(i));
      });
      group.push({ i, t, events: c.events });
    }
    // Calls of a group interleave in the ledger as concurrent calls do.
    const longest = Math.max(...group.map((g) => g.events.length));
    for (let j = 0; j < longest; j++) {
      for (const g of group) {
        const ev = g.events[j];
        if (!ev) continue;
        seq += 1;
        const s = seq;
        const at = iso(g.t + j * 1000);
        const id = callId(g.i);
        // JCS by hand (ASCII strings, integer seq): the generic encoder would triple generation time.
        const body = `{"at":"${at}","callId":"${id}","data":${ev[1]},"kind":"${ev[0]}","seq":${s}}`;
        if (s <= 200 && body !== canonicalBodyFromParts(s, id, at, ev[0], ev[1])) throw new Error(`not JCS: ${body}`);
        const hash = linkHash(prev, body);
        const p = prev;
        pending.push(() => st.event.run(s, id, at, ev[0], ev[1], p, hash));
        prev = hash;
      }
    }
    if (pending.length >= ROWS_PER_TX) {
      flush(pending);
      pending = [];
      const now = performance.now();
      if (now - lastReport > 5_000) {
        lastReport = now;
        const done = Math.min(N, base + INTERLEAVE);
        console.log(`  generated ${done}/${N} calls, ${seq} events (${Math.round(seq / ((now - t0) / 1000))} events/s)`);
      }
    }
  }
  flush(pending);
  db.close();
  return { events: seq, seconds: (performance.now() - t0) / 1000 };
}

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

async function load(url: string, paths: readonly string[], headers: Record<string, string>) {
  const spec = 'autocannon';
  const autocannon = (await import(spec)).default as (opts: unknown) => Promise<{ requests: { average: number }; latency: { p50: number; p99: number }; non2xx: number; errors: number }>;
  let k = 0;
  const r = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: LOAD_SECONDS,
    headers,
    requests: [{ setupRequest: (req: Record<string, unknown>) => ({ ...req, path: paths[k++ % paths.length] }) }],
  });
  return { requestsPerSec: Math.round(r.requests.average), latencyP50: r.latency.p50, latencyP99: r.latency.p99, non2xx: r.non2xx, errors: r.errors };
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
  const checkpoints = new CheckpointService({ tree: new SqliteLedgerTree(db), repo: new SqliteCheckpointRepo(db), signer });
  const tokens = new SqliteTokenStore(db);
  const dpo = (await tokens.create('bench', 'dpo')).token;
  const app = await buildApp({
    log: createLogger({ level: 'warn' }),
    tokens,
    metrics: createMetrics(),
    readiness: async () => ({}),
    rateLimitPerMinute: 100_000_000,
    routes: evidenceRoutes({
      queries,
      access: new AccessLog(store),
      checkpoints,
      signer,
      pepper: PEPPER,
      defaultCountryCode: '48',
      controller: { name: 'Bench', jurisdiction: 'PL' },
      config: {},
      clock: { now: () => Date.now() },
    }),
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
  const marketing = await measureMarketingLookup({ db, store, pepper: PEPPER, numberOf: (k) => callerOf(pick(k, N)), requests: Math.min(SAMPLES, 200) });
  console.log(`  marketing look-up, ${marketing.numbersPerRequest} numbers per request: ${JSON.stringify(marketing)}`);

  console.log(`load: autocannon, ${CONNECTIONS} connections, ${LOAD_SECONDS} s each …`);
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  const paths = Array.from({ length: 5_000 }, (_, k) => `/calls/${callId(pick(k + 7, N))}/timeline`);
  const timelineLoad = await load(address, paths, auth);
  await app.close();
  const plain = Fastify();
  plain.get('/plain', async () => ({ ok: true }));
  const plainAddress = await plain.listen({ host: '127.0.0.1', port: 0 });
  const plainLoad = await load(plainAddress, ['/plain'], {});
  await plain.close();
  console.log(`  timeline route ${JSON.stringify(timelineLoad)}; plain Fastify route ${JSON.stringify(plainLoad)}`);

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
      load: { connections: CONNECTIONS, seconds: LOAD_SECONDS, timelineRoute: timelineLoad, plainFastify: plainLoad },
      checkpoint: { treeSize: cp.checkpoint.treeSize, firstSeconds: firstCheckpointSec, inclusionProofMs: proofMs },
    }),
  );
}

await main();
