// The console's pages for bench:api: server time (p50/p99, app.inject, so no network) of the
// overview (30 days of charts), the calls list (first page, and filtered) and a call's page,
// each signed in as an auditor with a session cookie. A page reads through the API in process,
// so its time includes the API route's (the call page's timeline read also appends a durable
// access.logged event). Issue 21 asks < 200 ms at 10M events.
import { performance } from 'node:perf_hooks';
import type { TokenStore } from '../src/api/tokens.js';
import type { ApiInstance } from '../src/api/types.js';
import type { ConsoleSessions } from '../src/console/sessions.js';

export interface PageFigures {
  readonly p50: number;
  readonly p99: number;
}

export interface ConsolePageFigures {
  readonly samples: number;
  readonly overview30Days: PageFigures;
  readonly callsList: PageFigures;
  readonly callsFiltered: PageFigures;
  readonly callPage: PageFigures;
}

const pct = (xs: number[], p: number) => Number([...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!.toFixed(3));
const dayBefore = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) - n * 86_400_000).toISOString().slice(0, 10);

export async function measureConsolePages(deps: {
  readonly app: ApiInstance;
  readonly tokens: TokenStore;
  readonly sessions: ConsoleSessions;
  /** A day (YYYY-MM-DD) of the generated ledger, any k. */
  readonly day: (k: number) => string;
  /** A generated call's id, any k. */
  readonly callId: (k: number) => string;
  readonly samples: number;
}): Promise<ConsolePageFigures> {
  const { info } = await deps.tokens.create('bench-console', 'auditor');
  const { cookieValue } = await deps.sessions.open(info);
  const headers = { cookie: `consentline_session=${cookieValue}` };
  const page = async (url: string, expect: RegExp) => {
    const r = await deps.app.inject({ url, headers });
    if (r.statusCode !== 200 || !expect.test(r.body)) throw new Error(`${url}: HTTP ${r.statusCode}: ${r.body.slice(0, 300)}`);
  };
  const timed = async (url: (k: number) => string, expect: RegExp): Promise<PageFigures> => {
    for (let k = 0; k < Math.min(20, deps.samples); k++) await page(url(k + 1_000_003), expect); // warm-up
    const ms: number[] = [];
    for (let k = 0; k < deps.samples; k++) {
      const t = performance.now();
      await page(url(k), expect);
      ms.push(performance.now() - t);
    }
    return { p50: pct(ms, 50), p99: pct(ms, 99) };
  };
  const overview = (k: number) => `/console/overview?from=${dayBefore(deps.day(k), 29)}&to=${deps.day(k)}`;
  return {
    samples: deps.samples,
    overview30Days: await timed(overview, /<dd data-figure="calls">[1-9]/),
    callsList: await timed(() => '/console/calls', /<table class="calls">/),
    callsFiltered: await timed((k) => `/console/calls?from=${deps.day(k)}&to=${deps.day(k)}&flow=sales&outcome=continued`, /<table class="calls">/),
    callPage: await timed((k) => `/console/calls/${deps.callId(k)}`, /<table class="timeline">/),
  };
}
