import { afterEach, describe, expect, it } from 'vitest';
import { SqliteTokenStore } from '../../src/api/tokens.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { openSqlite } from '../../src/db/sqlite.js';
import { scenarioConfig, startScenario } from '../scenarios/harness.js';

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

async function auditorToken(dataDir: string): Promise<string> {
  const { db } = openSqlite({ path: `${dataDir}/consentline.sqlite` });
  try {
    return (await new SqliteTokenStore(db).create('reader', 'auditor')).token;
  } finally {
    db.close();
  }
}

describe('the ops listener (api.ops)', () => {
  it('is on by default on loopback, port 8481; the rate limit defaults to 600 a minute', () => {
    const { api } = scenarioConfig();
    expect(api.ops).toEqual({ enabled: true, host: '127.0.0.1', port: 8481 });
    expect(api.rateLimit).toEqual({ perMinute: 600 });
  });

  it('refuses the API port for the ops listener, and a rate limit below 1', () => {
    const bad = ConfigSchema.safeParse({ ...scenarioConfig(), api: { port: 9000, ops: { port: 9000 }, rateLimit: { perMinute: 0 } } });
    expect(bad.success).toBe(false);
    const paths = bad.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['api.rateLimit.perMinute']));
    const samePort = ConfigSchema.safeParse({ ...scenarioConfig(), api: { port: 9000, ops: { port: 9000 } } });
    expect(samePort.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['api.ops.port', 'must differ from api.port']]);
  });

  it('answers /health, /ready and /metrics without a token and serves nothing else; the API keeps them behind a token', async () => {
    const s = await startScenario();
    stop = () => s.stop();
    const ops = s.service.opsUrl!;
    expect(ops).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(ops).not.toBe(s.service.apiUrl);

    expect((await fetch(`${ops}/health`)).status).toBe(200);
    const ready = await fetch(`${ops}/ready`);
    expect([200, 503]).toContain(ready.status);
    expect(await ready.json()).toMatchObject({ components: { database: { status: 'up' } } });
    const metrics = await fetch(`${ops}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^consentline_/m);

    for (const path of ['/calls', '/stats?from=2026-01-01&to=2026-01-02', '/holds', '/docs', '/docs/json', '/ledger/verify', '/config']) {
      const r = await fetch(`${ops}${path}`, { headers: { authorization: 'Bearer clt_whatever' } });
      expect(r.status, path).toBe(404);
    }
    expect((await fetch(`${ops}/holds`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).status).toBe(404);

    // The API listener: the same routes, an auditor token needed.
    expect((await fetch(`${s.service.apiUrl}/metrics`)).status).toBe(401);
    const token = await auditorToken(s.config.service.dataDir);
    expect((await fetch(`${s.service.apiUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  }, 60_000);

  it('can be switched off', async () => {
    const s = await startScenario({ top: { api: { ops: { enabled: false } } } });
    stop = () => s.stop();
    expect(s.service.opsUrl).toBeNull();
  }, 60_000);
});

describe('api.rateLimit.perMinute', () => {
  it('limits requests per token to the configured number a minute', async () => {
    const s = await startScenario({ top: { api: { rateLimit: { perMinute: 3 } } } });
    stop = () => s.stop();
    const token = await auditorToken(s.config.service.dataDir);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await fetch(`${s.service.apiUrl}/calls`, { headers: { authorization: `Bearer ${token}` } })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  }, 60_000);
});
