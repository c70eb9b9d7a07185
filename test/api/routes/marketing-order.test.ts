import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../../src/api/app.js';
import { marketingApiRoutes } from '../../../src/api/routes/marketing.js';
import { SqliteTokenStore } from '../../../src/api/tokens.js';
import type { ApiInstance } from '../../../src/api/types.js';
import { openSqlite } from '../../../src/db/sqlite.js';
import type { AccessLog } from '../../../src/evidence/access-log.js';
import type { MarketingEntry } from '../../../src/evidence/marketing-rows.js';
import { lookupKey } from '../../../src/evidence/subject.js';
import { createLogger } from '../../../src/shared/log.js';
import { createMetrics } from '../../../src/shared/metrics.js';

// The look-up reads the registry while its access-log entry commits (issue 22); these pin down
// that no answer leaves before the entry is durable, and none when it fails.

const PEPPER = 'order-test-pepper-0123456789abcdef';
const entry: MarketingEntry = {
  lookupKey: lookupKey(PEPPER, '+48600111222'),
  state: 'given',
  since: '2026-03-01T09:00:02.000Z',
  seq: 5,
  callId: 'm-1',
  how: 'call',
  controller: 'Example',
  channels: ['phone'],
  textVersion: null,
};

function deferred() {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise((r) => setTimeout(r, 20));
/** Until the route has read the registry (the first request compiles the route: no fixed delay). */
const registryRead = (calls: string[]) => vi.waitFor(() => expect(calls).toContain('lookup'), { timeout: 10_000 });
let app: ApiInstance | null = null;
afterEach(async () => {
  await app?.close();
  app = null;
});

async function harness(opts: { registryFails?: boolean } = {}) {
  const log = deferred();
  const calls: string[] = [];
  const { db } = openSqlite({ path: ':memory:' });
  const tokens = new SqliteTokenStore(db);
  const token = (await tokens.create('dialer', 'dialer')).token;
  const access = { record: async () => (calls.push('record'), log.promise) } as unknown as AccessLog;
  const registry = {
    lookup: async (keys: readonly string[]) => {
      calls.push('lookup');
      if (opts.registryFails) throw new Error('registry down');
      return new Map(keys.includes(entry.lookupKey) ? [[entry.lookupKey, entry]] : []);
    },
  };
  app = await buildApp({
    log: createLogger({ level: 'silent' }),
    tokens,
    metrics: createMetrics(),
    readiness: async () => ({}),
    routes: marketingApiRoutes({ registry, access, pepper: PEPPER, defaultCountryCode: '48' }),
  });
  let done = false;
  const response = app
    .inject({ method: 'POST', url: '/marketing-consents/lookup', headers: { authorization: `Bearer ${token}` }, payload: { numbers: ['600111222', '+48600999000'], purpose: 'order' } })
    .finally(() => {
      done = true;
    });
  return { log, calls, response, isDone: () => done };
}

describe('POST /marketing-consents/lookup and its access-log entry', () => {
  it('reads the registry while the entry commits, and answers only once it is durable', async () => {
    const h = await harness();
    await registryRead(h.calls);
    await tick();
    expect(h.calls).toEqual(['record', 'lookup']);
    expect(h.isDone()).toBe(false);
    h.log.resolve();
    const r = await h.response;
    expect(r.statusCode).toBe(200);
    expect(r.json().results.map((x: { state: string }) => x.state)).toEqual(['given', 'none']);
  });

  it('answers nothing (503) when the entry fails after the registry was read', async () => {
    const h = await harness();
    await registryRead(h.calls);
    h.log.reject(new Error('disk full'));
    const r = await h.response;
    expect(r.statusCode).toBe(503);
    expect(r.body).not.toContain('given');
  });

  it('says 503 (not logged), not 500, when both the entry and the registry fail', async () => {
    const h = await harness({ registryFails: true });
    await registryRead(h.calls);
    expect(h.calls).toEqual(['record', 'lookup']);
    h.log.reject(new Error('disk full'));
    expect((await h.response).statusCode).toBe(503);
  });

  it('says 500 when the entry is durable but the registry fails', async () => {
    const h = await harness({ registryFails: true });
    h.log.resolve();
    const r = await h.response;
    expect(r.statusCode).toBe(500);
    expect(r.json().error).toBe('internal');
  });
});
