import { afterEach, describe, expect, it } from 'vitest';
import { testApp } from './helpers.js';

let close: (() => Promise<void>) | undefined;
afterEach(async () => close?.());

describe('API authentication and hardening', () => {
  it('health needs no token; ready and metrics do', async () => {
    const t = await testApp();
    close = () => t.app.close();
    expect((await t.app.inject('/health')).statusCode).toBe(200);
    expect((await t.app.inject('/ready')).statusCode).toBe(401);
    expect((await t.app.inject('/metrics')).statusCode).toBe(401);
    const token = await t.issue('auditor');
    const ready = await t.app.inject({ url: '/ready', headers: { authorization: `Bearer ${token}` } });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toEqual({ ready: false, components: { database: { status: 'up' }, ari: { status: 'down', detail: 'not connected' } } });
    const metrics = await t.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${token}` } });
    expect(metrics.body).toMatch(/consentline_calls_total/);
  });

  it('a revoked token is refused and the failure is logged without the token', async () => {
    const t = await testApp();
    close = () => t.app.close();
    const { info, token } = await t.tokens.create('gone', 'admin');
    await t.tokens.revoke(info.id);
    const r = await t.app.inject({ url: '/ready', headers: { authorization: `Bearer ${token}` } });
    expect(r.statusCode).toBe(401);
    expect(r.json()).toEqual({ error: 'unauthorized', message: 'a valid bearer token is required' });
    const failure = t.logs.find((l) => l.event === 'auth_failed');
    expect(failure).toMatchObject({ reason: 'unknown_or_revoked_token', route: '/ready' });
    expect(JSON.stringify(t.logs)).not.toContain(token);
  });

  it('a route without a declared role is admin-only', async () => {
    const t = await testApp({
      routes: [(app) => void app.get('/secret-thing', async () => ({ ok: true }))],
    });
    close = () => t.app.close();
    const as = async (role: 'auditor' | 'dpo' | 'admin') =>
      (await t.app.inject({ url: '/secret-thing', headers: { authorization: `Bearer ${await t.issue(role)}` } })).statusCode;
    expect(await as('auditor')).toBe(403);
    expect(await as('dpo')).toBe(403);
    expect(await as('admin')).toBe(200);
    expect(t.logs.some((l) => l.event === 'auth_refused' && l.needed === 'admin')).toBe(true);
  });

  it('a 403 names the role the route needs and the role the token holds', async () => {
    const t = await testApp({
      routes: [(app) => void app.get('/dpo-thing', { config: { role: 'dpo' } }, async () => ({ ok: true }))],
    });
    close = () => t.app.close();
    const r = await t.app.inject({ url: '/dpo-thing', headers: { authorization: `Bearer ${await t.issue('auditor')}` } });
    expect(r.statusCode).toBe(403);
    expect(r.json()).toEqual({
      error: 'forbidden',
      message: 'this route needs the dpo role (your token: auditor)',
      details: { needed: 'dpo', held: 'auditor' },
    });
  });

  it('rate limit per token answers 429 without internals', async () => {
    const t = await testApp({ rateLimitPerMinute: 3 });
    close = () => t.app.close();
    const token = await t.issue('auditor');
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push((await t.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${token}` } })).statusCode);
    expect(codes).toEqual([200, 200, 200, 429, 429]);
    // Another token has its own budget.
    const other = await t.issue('auditor');
    expect((await t.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${other}` } })).statusCode).toBe(200);
  });

  it('sets security headers and hides unknown routes behind a plain 404', async () => {
    const t = await testApp();
    close = () => t.app.close();
    const r = await t.app.inject('/health');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['x-frame-options']).toBeDefined();
    const missing = await t.app.inject('/nope');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: 'not_found', message: 'not found' });
  });

  it('serves the OpenAPI document without a token', async () => {
    const t = await testApp();
    close = () => t.app.close();
    const r = await t.app.inject('/docs/json');
    expect(r.statusCode).toBe(200);
    expect(r.json().openapi).toMatch(/^3\./);
  });
});
