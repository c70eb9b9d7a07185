/**
 * The console in process for page tests: the API (config, readiness, the overview's stats
 * route on canned rows) and the console, with a signed-in cookie per role.
 */
import { buildApp } from '../../../src/api/app.js';
import { evidenceRoutes, type EvidenceApiDeps } from '../../../src/api/routes/evidence.js';
import type { ComponentStatus } from '../../../src/api/routes/health.js';
import { SqliteTokenStore, type Role } from '../../../src/api/tokens.js';
import { consoleCookies, consoleRoutes } from '../../../src/console/index.js';
import { SqliteSessionStore } from '../../../src/console/sessions-sqlite.js';
import { ConsoleSessions } from '../../../src/console/sessions.js';
import { openSqlite } from '../../../src/db/sqlite.js';
import type { OverviewApiRow } from '../../../src/console/overview-data.js';
import { createMetrics } from '../../../src/shared/metrics.js';
import { logSink } from '../../api/helpers.js';

interface OverviewQuery {
  fromDay: string;
  toDay: string;
  flowId?: string;
  language?: string;
}

export const CONFIG = { ari: { url: 'http://pbx:8088', password: 'ari-very-secret' }, evidence: { pepper: 'pepper-very-secret' }, recordings: { ami: { secret: 'ami-very-secret' } }, service: { logLevel: 'info' } };

export async function pageApp(opts: { rows?: OverviewApiRow[]; components?: Record<string, ComponentStatus> } = {}) {
  const { db } = openSqlite({ path: ':memory:' });
  const tokens = new SqliteTokenStore(db);
  const sessions = new ConsoleSessions(new SqliteSessionStore(db), { idleMinutes: 30, absoluteHours: 12, secureCookie: 'auto' });
  const asked: OverviewQuery[] = [];
  const queries = {
    async overview(q: OverviewQuery) {
      asked.push(q);
      return (opts.rows ?? [])
        .filter((r) => r.day >= q.fromDay && r.day <= q.toDay && (q.flowId === undefined || r.flowId === q.flowId) && (q.language === undefined || r.language === q.language))
        .sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
    },
  } as unknown as EvidenceApiDeps['queries'];
  // Routes read their dependencies only when called: the overview's query, the config, no checkpoint yet.
  const deps = { queries, config: CONFIG, checkpoints: { latest: async () => null } } as unknown as EvidenceApiDeps;
  const sink = logSink();
  const app = await buildApp({
    log: sink.log,
    tokens,
    metrics: createMetrics(),
    readiness: async () => opts.components ?? { database: { status: 'up' } },
    cookies: consoleCookies(sessions),
    routes: [...evidenceRoutes(deps), consoleRoutes({ tokens, sessions })],
  });
  /** A session cookie and its CSRF token for a new token of `role`. */
  const session = async (role: Role) => {
    const { info } = await tokens.create(`t-${role}`, role);
    const opened = await sessions.open(info);
    return { cookie: `consentline_session=${opened.cookieValue}`, csrf: opened.csrf, info };
  };
  return { app, tokens, session, asked, lines: sink.lines };
}

export const form = (fields: Record<string, string>) => ({ 'content-type': 'application/x-www-form-urlencoded', payload: new URLSearchParams(fields).toString() });
