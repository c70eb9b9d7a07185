import { describe, expect, it } from 'vitest';
import { CONFIG, form, pageApp } from './page-app.js';

describe('console admin pages', () => {
  it('creates a token (the secret shown once, never logged), lists it, revokes it: it then signs in no more', async () => {
    const { app, tokens, session, lines } = await pageApp();
    const admin = await session('admin');
    const { payload, ...headers } = form({ _csrf: admin.csrf, name: 'auditor for Q4', subject: 'Anna Nowak', role: 'auditor' });
    const created = await app.inject({ method: 'POST', url: '/console/admin/tokens', headers: { cookie: admin.cookie, ...headers }, payload });
    expect(created.statusCode).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    const token = /id="new-token"[^>]*value="(clt_[^"]+)"/.exec(created.body)![1]!;
    const info = await tokens.authenticate(token);
    expect(info).toMatchObject({ name: 'auditor for Q4', subject: 'Anna Nowak', role: 'auditor' });
    expect(JSON.stringify(lines)).not.toContain(token);
    expect(lines.some((l) => l.event === 'console_token_created' && l.tokenId === info!.id)).toBe(true);

    // The list shows it, without any secret; a second view no longer shows the secret.
    const list = await app.inject({ url: '/console/admin/tokens', headers: { cookie: admin.cookie } });
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain('auditor for Q4');
    expect(list.body).not.toMatch(/clt_/);

    const revoke = form({ _csrf: admin.csrf });
    const done = await app.inject({ method: 'POST', url: `/console/admin/tokens/${info!.id}/revoke`, headers: { cookie: admin.cookie, 'content-type': revoke['content-type'] }, payload: revoke.payload });
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toBe('/console/admin/tokens?m=revoked');
    expect(await tokens.authenticate(token)).toBeNull();
    const again = await app.inject({ method: 'POST', url: `/console/admin/tokens/${info!.id}/revoke`, headers: { cookie: admin.cookie, 'content-type': revoke['content-type'] }, payload: revoke.payload });
    expect(again.headers.location).toBe('/console/admin/tokens?m=none');
  });

  it('refuses a form without the session CSRF token, bad input, and every admin page to a DPO', async () => {
    const { app, tokens, session } = await pageApp();
    const admin = await session('admin');
    const before = (await tokens.list()).length;
    const { payload, ...headers } = form({ name: 'x', role: 'admin' });
    expect((await app.inject({ method: 'POST', url: '/console/admin/tokens', headers: { cookie: admin.cookie, ...headers }, payload })).statusCode).toBe(403);
    for (const bad of [{ name: '', role: 'admin', subject: 'x' }, { name: 'ok', role: 'root' }, { name: 'no person', role: 'dpo' } as Record<string, string>, { name: 'a\u0007b', role: 'auditor' }, { name: 'x'.repeat(101), role: 'auditor' }]) {
      const f = form({ _csrf: admin.csrf, ...bad });
      const r = await app.inject({ method: 'POST', url: '/console/admin/tokens', headers: { cookie: admin.cookie, 'content-type': f['content-type'] }, payload: f.payload });
      expect(r.statusCode, JSON.stringify(bad)).toBe(400);
      expect(r.body).toContain('Give a name of 1 to 100 characters, one of the roles');
    }
    expect((await tokens.list()).length).toBe(before);
    const victim = (await tokens.list())[0]!;
    const dpo = await session('dpo');
    for (const url of ['/console/admin/tokens', '/console/admin/config', '/console/admin/health']) {
      const r = await app.inject({ url, headers: { cookie: dpo.cookie } });
      expect(r.statusCode, url).toBe(403);
      expect(r.body).toContain('This page needs the admin role');
    }
    const f = form({ _csrf: dpo.csrf });
    const r = await app.inject({ method: 'POST', url: `/console/admin/tokens/${victim.id}/revoke`, headers: { cookie: dpo.cookie, 'content-type': f['content-type'] }, payload: f.payload });
    expect(r.statusCode).toBe(403);
    expect((await tokens.list()).find((k) => k.id === victim.id)!.revokedAt).toBeNull();
    // The navigation shows Administration to the admin only.
    expect((await app.inject({ url: '/console/overview', headers: { cookie: dpo.cookie } })).body).not.toContain('/console/admin/tokens');
    expect((await app.inject({ url: '/console/overview', headers: { cookie: admin.cookie } })).body).toContain('href="/console/admin/tokens"');
  });

  it('shows the configuration with every secret redacted, and the health of each component', async () => {
    const { app, session } = await pageApp({
      components: { ari: { status: 'up' }, ami: { status: 'down', detail: 'AMI not connected' }, storage: { status: 'up' }, database: { status: 'up' } },
    });
    const admin = await session('admin');
    const config = await app.inject({ url: '/console/admin/config', headers: { cookie: admin.cookie } });
    expect(config.statusCode).toBe(200);
    for (const secret of [CONFIG.ari.password, CONFIG.evidence.pepper, CONFIG.recordings.ami.secret]) expect(config.body).not.toContain(secret);
    expect(config.body).toContain('[redacted]');
    expect(config.body).toContain('http://pbx:8088');

    const health = await app.inject({ url: '/console/admin/health', headers: { cookie: admin.cookie } });
    expect(health.statusCode).toBe(200);
    expect(health.body).toContain('Not ready: a component is down.');
    expect(health.body).toMatch(/data-component="ami"><th scope="row">AMI link \(recordings\)<\/th><td><span class="badge down">down<\/span><\/td><td>AMI not connected<\/td>/);
    expect(health.body).toMatch(/data-component="ari">.*badge up/);
    expect(health.body).toContain('none yet');
  });
});
