/**
 * The console's sessions in the API's own auth code, in process: the cookie's attributes, CSRF
 * on every unsafe request made with the cookie (bearer requests unaffected), login CSRF, roles,
 * sign-out, revocation, the HTML answers of the console scope and its CSP.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ApiInstance } from '../../src/api/types.js';
import { SqliteSessionStore } from '../../src/console/sessions-sqlite.js';
import { ConsoleSessions } from '../../src/console/sessions.js';
import { consoleCookies, consoleRoutes } from '../../src/console/index.js';
import { buildApp } from '../../src/api/app.js';
import { SqliteTokenStore } from '../../src/api/tokens.js';
import { openSqlite } from '../../src/db/sqlite.js';
import { createMetrics } from '../../src/shared/metrics.js';
import { logSink } from '../api/helpers.js';

async function consoleApp(secureCookie: 'auto' | 'always' = 'auto') {
  const { db } = openSqlite({ path: ':memory:' });
  const tokens = new SqliteTokenStore(db);
  const sessions = new ConsoleSessions(new SqliteSessionStore(db), { idleMinutes: 30, absoluteHours: 12, secureCookie });
  const probe = (app: ApiInstance) => {
    app.get('/probe', { config: { role: 'auditor' }, schema: { response: { 200: z.object({ who: z.string() }) } } }, async (r) => ({ who: r.principal!.name }));
    app.post('/probe', { config: { role: 'auditor' }, schema: { body: z.strictObject({ n: z.number() }) } }, async (r) => ({ who: r.principal!.name }));
  };
  const app = await buildApp({
    log: logSink().log,
    tokens,
    metrics: createMetrics(),
    readiness: async () => ({}),
    cookies: consoleCookies(sessions),
    routes: [probe, consoleRoutes({ tokens, sessions })],
  });
  const issue = async (role: 'auditor' | 'dpo' | 'admin') => (await tokens.create(`t-${role}`, role)).token;
  return { app, tokens, issue };
}

const cookieOf = (setCookie: string | string[] | undefined, name: string) => {
  const all = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  return all.find((c) => c.startsWith(`${name}=`));
};

/** The sign-in page's pre-session token, then a POST of the token with it. */
async function signIn(app: ApiInstance, token: string) {
  const page = await app.inject({ method: 'GET', url: '/console/sign-in' });
  const pre = cookieOf(page.headers['set-cookie'], 'consentline_csrf')!.split(';')[0]!;
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
  return app.inject({
    method: 'POST',
    url: '/console/sign-in',
    headers: { cookie: pre, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ _csrf: csrf, token, next: '/console/calls' }).toString(),
  });
}

describe('console sessions in the API auth', () => {
  it('exchanges a token for an HttpOnly SameSite=Strict cookie (Secure when configured), usable on API routes, with CSRF on unsafe methods only', async () => {
    const { app, issue } = await consoleApp();
    const res = await signIn(app, await issue('auditor'));
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/console/calls');
    const set = cookieOf(res.headers['set-cookie'], 'consentline_session')!;
    expect(set).toMatch(/HttpOnly/);
    expect(set).toMatch(/SameSite=Strict/);
    expect(set).not.toMatch(/Secure/);
    const cookie = set.split(';')[0]!;
    expect((await app.inject({ method: 'GET', url: '/probe', headers: { cookie } })).json()).toEqual({ who: 't-auditor' });
    const noCsrf = await app.inject({ method: 'POST', url: '/probe', headers: { cookie, 'content-type': 'application/json' }, payload: '{"n":1}' });
    expect(noCsrf.statusCode).toBe(403);
    const page = await app.inject({ method: 'GET', url: '/console/overview', headers: { cookie } });
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const wrong = await app.inject({ method: 'POST', url: '/probe', headers: { cookie, 'x-csrf-token': `${csrf.slice(1)}x`, 'content-type': 'application/json' }, payload: '{"n":1}' });
    expect(wrong.statusCode).toBe(403);
    const ok = await app.inject({ method: 'POST', url: '/probe', headers: { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' }, payload: '{"n":1}' });
    expect(ok.statusCode).toBe(200);
    // A bearer token needs no CSRF token, and a bearer request ignores a cookie.
    const bearer = await app.inject({ method: 'POST', url: '/probe', headers: { authorization: `Bearer ${await issue('dpo')}`, cookie, 'content-type': 'application/json' }, payload: '{"n":2}' });
    expect(bearer.json()).toEqual({ who: 't-dpo' });

    const secure = await consoleApp('always');
    const s = await signIn(secure.app, await secure.issue('dpo'));
    expect(cookieOf(s.headers['set-cookie'], 'consentline_session')).toMatch(/; Secure/);
  });

  it('refuses a sign-in without the pre-session token (login CSRF), an unknown token and a dialer token', async () => {
    const { app, tokens } = await consoleApp();
    const forged = await app.inject({
      method: 'POST',
      url: '/console/sign-in',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: 'x'.repeat(43), token: (await tokens.create('a', 'admin')).token }).toString(),
    });
    expect(forged.statusCode).toBe(403);
    expect(cookieOf(forged.headers['set-cookie'], 'consentline_session')).toBeUndefined();
    expect((await signIn(app, 'clt_unknown')).statusCode).toBe(401);
    const dialer = await signIn(app, (await tokens.create('d', 'dialer')).token);
    expect(dialer.statusCode).toBe(403);
    expect(dialer.body).toContain('has no console pages');
  });

  it('sends a page without a session to sign-in, shows a page a role may not see as 403, and ends the session on sign-out and on revocation', async () => {
    const { app, issue, tokens } = await consoleApp();
    const anon = await app.inject({ method: 'GET', url: '/console/calls?outcome=objected' });
    expect(anon.statusCode).toBe(303);
    expect(anon.headers.location).toBe('/console/sign-in?next=%2Fconsole%2Fcalls%3Foutcome%3Dobjected');
    expect(anon.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    const auditorToken = await issue('auditor');
    const cookie = cookieOf((await signIn(app, auditorToken)).headers['set-cookie'], 'consentline_session')!.split(';')[0]!;
    const page = await app.inject({ method: 'GET', url: '/console/overview', headers: { cookie } });
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const refused = await app.inject({
      method: 'POST',
      url: '/console/calls/by-caller',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: csrf, callerNumber: '600100200' }).toString(),
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.headers['content-type']).toContain('text/html');
    expect(refused.body).toContain('needs the DPO role');
    expect(refused.body).not.toContain('600100200');

    const out = await app.inject({ method: 'POST', url: '/console/sign-out', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: `_csrf=${csrf}` });
    expect(out.statusCode).toBe(303);
    expect(cookieOf(out.headers['set-cookie'], 'consentline_session')).toMatch(/Max-Age=0/);
    expect((await app.inject({ method: 'GET', url: '/probe', headers: { cookie } })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/console/overview', headers: { cookie } })).headers.location).toMatch(/m=expired/);

    const again = cookieOf((await signIn(app, auditorToken)).headers['set-cookie'], 'consentline_session')!.split(';')[0]!;
    expect((await app.inject({ method: 'GET', url: '/probe', headers: { cookie: again } })).statusCode).toBe(200);
    const id = (await tokens.list()).find((t) => t.name === 't-auditor')!.id;
    await tokens.revoke(id);
    expect((await app.inject({ method: 'GET', url: '/probe', headers: { cookie: again } })).statusCode).toBe(401);
  });
});
