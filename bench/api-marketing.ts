// The marketing consent look-up for bench:api: POST /marketing-consents/lookup with 1,000
// numbers per request (a dialer's campaign slice) on the generated ledger, through the HTTP
// stack (each request also appends a durable access.logged event). Issue 22 asks p99 < 50 ms
// at 10M events.
import { performance } from 'node:perf_hooks';
import { buildApp } from '../src/api/app.js';
import { marketingApiRoutes } from '../src/api/routes/marketing.js';
import { SqliteTokenStore } from '../src/api/tokens.js';
import type { SqliteDatabase } from '../src/db/sqlite.js';
import { AccessLog } from '../src/evidence/access-log.js';
import { SqliteMarketingRegistry } from '../src/evidence/marketing-sqlite.js';
import type { EvidenceWriter } from '../src/evidence/store.js';
import { createLogger } from '../src/shared/log.js';
import { createMetrics } from '../src/shared/metrics.js';

export const NUMBERS_PER_LOOKUP = 1_000;

export interface MarketingLookupFigures {
  readonly numbersPerRequest: number;
  readonly requests: number;
  readonly p50: number;
  readonly p99: number;
  /** How the answers split, over every request: a check that the registry was really read. */
  readonly states: Record<string, number>;
}

const pct = (xs: number[], p: number) => Number([...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!.toFixed(3));

export async function measureMarketingLookup(deps: {
  readonly db: SqliteDatabase;
  readonly store: EvidenceWriter;
  readonly pepper: string;
  /** The k-th number of the generated callers (any k). */
  readonly numberOf: (k: number) => string;
  readonly requests: number;
}): Promise<MarketingLookupFigures> {
  const tokens = new SqliteTokenStore(deps.db);
  const dialer = (await tokens.create('bench-dialer', 'dialer')).token;
  const app = await buildApp({
    log: createLogger({ level: 'warn' }),
    tokens,
    metrics: createMetrics(),
    readiness: async () => ({}),
    rateLimitPerMinute: 100_000_000,
    routes: marketingApiRoutes({ registry: new SqliteMarketingRegistry(deps.db), access: new AccessLog(deps.store), pepper: deps.pepper, defaultCountryCode: '48' }),
  });
  const states: Record<string, number> = {};
  const ask = async (k: number) => {
    const numbers = Array.from({ length: NUMBERS_PER_LOOKUP }, (_, j) => deps.numberOf(k * NUMBERS_PER_LOOKUP + j));
    const r = await app.inject({ method: 'POST', url: '/marketing-consents/lookup', headers: { authorization: `Bearer ${dialer}` }, payload: { numbers, purpose: 'bench' } });
    if (r.statusCode !== 200) throw new Error(`HTTP ${r.statusCode}: ${r.body.slice(0, 200)}`);
    return (r.json() as { results: Array<{ state: string }> }).results;
  };
  for (let k = 0; k < Math.min(20, deps.requests); k++) await ask(1_000_003 + k); // warm-up
  const ms: number[] = [];
  for (let k = 0; k < deps.requests; k++) {
    const t = performance.now();
    const results = await ask(k);
    ms.push(performance.now() - t);
    for (const x of results) states[x.state] = (states[x.state] ?? 0) + 1;
  }
  await app.close();
  return { numbersPerRequest: NUMBERS_PER_LOOKUP, requests: deps.requests, p50: pct(ms, 50), p99: pct(ms, 99), states };
}
