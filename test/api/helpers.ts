import { Writable } from 'node:stream';
import { buildApp, type ApiDeps } from '../../src/api/app.js';
import { SqliteTokenStore } from '../../src/api/tokens.js';
import { openSqlite } from '../../src/db/sqlite.js';
import { createLogger } from '../../src/shared/log.js';
import { createMetrics } from '../../src/shared/metrics.js';

/** Collects the JSON log lines the app writes, so tests can assert on them. */
export function logSink() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, log: createLogger({ level: 'info' }, stream) };
}

export async function testApp(overrides: Partial<ApiDeps> = {}) {
  const { db } = openSqlite({ path: ':memory:' });
  const tokens = new SqliteTokenStore(db);
  const sink = logSink();
  const app = await buildApp({
    log: sink.log,
    tokens,
    metrics: createMetrics(),
    readiness: async () => ({ database: { status: 'up' }, ari: { status: 'down', detail: 'not connected' } }),
    ...overrides,
  });
  const issue = async (role: 'auditor' | 'dpo' | 'admin') => (await tokens.create(`t-${role}`, role)).token;
  return { app, tokens, db, logs: sink.lines, issue };
}
