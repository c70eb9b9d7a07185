// The marketing consent look-up for bench:api and bench:marketing: POST /marketing-consents/lookup
// with 1,000 numbers per request (a dialer's campaign slice) on the generated ledger, through the
// HTTP stack (each request also appends a durable access.logged event). Issue 22 asks p99 < 50 ms
// at 10M events. `measureMarketingStages` splits one request into its parts.
import { performance } from 'node:perf_hooks';
import { serializerCompiler } from 'fastify-type-provider-zod';
import { buildApp } from '../src/api/app.js';
import { marketingResultsJson } from '../src/api/routes/marketing-json.js';
import { lookupResponse, marketingApiRoutes } from '../src/api/routes/marketing.js';
import type { TokenStore } from '../src/api/tokens.js';
import { AccessLog } from '../src/evidence/access-log.js';
import { lookupMarketing } from '../src/evidence/marketing-lookup.js';
import type { MarketingRegistryRepo } from '../src/evidence/marketing-rows.js';
import type { EvidenceWriter } from '../src/evidence/store.js';
import { lookupKey, normalizeCallerId } from '../src/evidence/subject.js';
import { createLogger } from '../src/shared/log.js';
import { createMetrics } from '../src/shared/metrics.js';

export const NUMBERS_PER_LOOKUP = 1_000;
const CC = '48';

export interface MarketingLookupFigures {
  readonly numbersPerRequest: number;
  readonly requests: number;
  readonly p50: number;
  readonly p99: number;
  /** The process's CPU (all threads) per request, ms: steadier than wall time on a loaded machine. */
  readonly cpuPerRequest: number;
  /** How the answers split, over every request: a check that the registry was really read. */
  readonly states: Record<string, number>;
}

export interface MarketingBenchDeps {
  readonly tokens: TokenStore;
  readonly registry: Pick<MarketingRegistryRepo, 'lookup'>;
  /** The ledger the access log appends to. */
  readonly store: EvidenceWriter;
  readonly pepper: string;
  /** The k-th number of the generated callers (any k). */
  readonly numberOf: (k: number) => string;
  readonly requests: number;
}

const pct = (xs: number[], p: number) => Number([...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!.toFixed(3));
const WARM_UP = 20;
// Request k asks for numbers k×1000 … k×1000+999; the warm-up asks for the ones after the measured
// requests (others than those measured, and small enough k that the bench's pick stays exact).
const numbersOf = (d: Pick<MarketingBenchDeps, 'numberOf'>, k: number) => Array.from({ length: NUMBERS_PER_LOOKUP }, (_, j) => d.numberOf(k * NUMBERS_PER_LOOKUP + j));

export async function measureMarketingLookup(d: MarketingBenchDeps): Promise<MarketingLookupFigures> {
  const dialer = (await d.tokens.create('bench-dialer', 'dialer')).token;
  const app = await buildApp({
    log: createLogger({ level: 'warn' }),
    tokens: d.tokens,
    metrics: createMetrics(),
    readiness: async () => ({}),
    rateLimitPerMinute: 100_000_000,
    routes: marketingApiRoutes({ registry: d.registry, access: new AccessLog(d.store), pepper: d.pepper, defaultCountryCode: CC }),
  });
  const states: Record<string, number> = {};
  const ask = async (k: number) => {
    const r = await app.inject({ method: 'POST', url: '/marketing-consents/lookup', headers: { authorization: `Bearer ${dialer}` }, payload: { numbers: numbersOf(d, k), purpose: 'bench' } });
    if (r.statusCode !== 200) throw new Error(`HTTP ${r.statusCode}: ${r.body.slice(0, 200)}`);
    return (r.json() as { results: Array<{ state: string }> }).results;
  };
  for (let k = 0; k < WARM_UP; k++) await ask(d.requests + k);
  const ms: number[] = [];
  const cpu = process.cpuUsage();
  for (let k = 0; k < d.requests; k++) {
    const t = performance.now();
    const results = await ask(k);
    ms.push(performance.now() - t);
    for (const x of results) states[x.state] = (states[x.state] ?? 0) + 1;
  }
  const used = process.cpuUsage(cpu);
  await app.close();
  const cpuPerRequest = Number(((used.user + used.system) / 1000 / Math.max(1, d.requests)).toFixed(3));
  return { numbersPerRequest: NUMBERS_PER_LOOKUP, requests: d.requests, p50: pct(ms, 50), p99: pct(ms, 99), cpuPerRequest, states };
}

/**
 * p50/p99 ms of each part of one 1,000-number request, outside HTTP, and its mean CPU ms (the
 * process's, all threads: under load the wall times say more about the machine than the code).
 */
export type MarketingStages = Record<'normalise' | 'hmac' | 'registry' | 'answers' | 'accessLog' | 'jsonZod' | 'jsonByHand', { p50: number; p99: number; cpuMean: number }>;

/**
 * The parts of one request, each timed on its own over the same numbers: normalising, the
 * HMACs, the registry read, the whole lookupMarketing (the three, and the answers built), the
 * durable access-log append, and the answer's JSON by the zod serializer (before issue 22) and
 * by hand (after).
 */
export async function measureMarketingStages(d: Omit<MarketingBenchDeps, 'tokens'>): Promise<MarketingStages> {
  const access = new AccessLog(d.store);
  const zodJson = serializerCompiler({ schema: lookupResponse, method: 'POST', url: '/marketing-consents/lookup', httpStatus: '200' }) as (x: unknown) => string;
  const names = ['normalise', 'hmac', 'registry', 'answers', 'accessLog', 'jsonZod', 'jsonByHand'] as const;
  const ms = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<(typeof names)[number], number[]>;
  const cpu = Object.fromEntries(names.map((n) => [n, 0])) as Record<(typeof names)[number], number>;
  const cpuMs = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  for (let k = -WARM_UP; k < d.requests; k++) {
    const numbers = numbersOf(d, k < 0 ? d.requests - k : k);
    const lap: number[] = [performance.now()];
    const laps: number[] = [cpuMs()];
    const mark = () => {
      lap.push(performance.now());
      laps.push(cpuMs());
    };
    const e164s = numbers.map((n) => normalizeCallerId(n, CC));
    mark();
    const keys = e164s.flatMap((e) => (e === null ? [] : [lookupKey(d.pepper, e)]));
    mark();
    await d.registry.lookup([...new Set(keys)]);
    mark();
    const results = await lookupMarketing(d.registry, numbers, { pepper: d.pepper, defaultCountryCode: CC });
    mark();
    await access.record({ who: { tokenId: 'bench', tokenName: 'bench', role: 'dialer' }, route: 'POST /marketing-consents/lookup', callIds: [], criteria: ['numbers'], count: numbers.length, purpose: 'bench' });
    mark();
    const a = zodJson({ results });
    mark();
    const b = marketingResultsJson({ results });
    mark();
    if (a !== b) throw new Error('the hand-written answer differs from zod’s');
    if (k >= 0) {
      names.forEach((n, i) => {
        ms[n].push(lap[i + 1]! - lap[i]!);
        cpu[n] += laps[i + 1]! - laps[i]!;
      });
    }
  }
  const figures = (n: (typeof names)[number]) => ({ p50: pct(ms[n], 50), p99: pct(ms[n], 99), cpuMean: Number((cpu[n] / Math.max(1, d.requests)).toFixed(3)) });
  return Object.fromEntries(names.map((n) => [n, figures(n)])) as MarketingStages;
}
