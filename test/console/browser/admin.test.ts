/**
 * The admin pages in a real browser on the demo: a token created in the console signs in (its
 * secret shown once), revoked it no longer does and its session ends; the configuration shows no
 * secret; the health of ARI, AMI, the store and the pipeline; other roles get the 403 page.
 * axe and the CSP/console/foreign-request watch on every page.
 */
import { describe, expect, it } from 'vitest';
import { axe, demoAndBrowser, signedInPage, signIn, visit, watchedContext, type PageProblems } from '../harness.js';

const rig = demoAndBrowser();

const clean: PageProblems = { csp: [], console: [], errors: [], foreign: [] };

describe('console: administration', () => {
  it('creates a token that signs in, shows its secret once, revokes it: the token and its session stop working', async () => {
    const { demo, browser } = rig;
    const admin = await signedInPage(browser, demo.api, demo.tokens.admin);
    const { page } = admin;
    await page.getByRole('link', { name: 'Administration' }).click();
    await page.waitForURL(/\/console\/admin\/tokens$/);
    expect((await visit(page, page.url())).violations).toEqual([]);
    expect(await page.locator('table.tokens tbody tr').count()).toBe(3);

    await page.getByLabel('Name (what the token is for)').fill('external auditor Q4');
    await page.getByLabel(/^Person it is issued to/).fill('Anna Nowak');
    await page.getByLabel('Role', { exact: true }).selectOption('auditor');
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.waitForLoadState('load');
    const secret = await page.getByLabel('The new token').inputValue();
    expect(secret).toMatch(/^clt_[A-Za-z0-9_-]{43}$/);
    expect(await axe(page)).toEqual([]);
    const row = page.locator('table.tokens tbody tr', { hasText: 'external auditor Q4' });
    expect(await row.textContent()).toContain('Anna Nowak');
    // Shown once: the list, reloaded, carries no secret.
    await page.goto(`${demo.api}/console/admin/tokens`);
    expect(await page.content()).not.toContain(secret);
    expect(demo.output).not.toContain(secret);

    const other = await watchedContext(browser, demo.api);
    const visitor = await other.context.newPage();
    await signIn(visitor, demo.api, secret);
    expect(new URL(visitor.url()).pathname).toBe('/console/calls');
    await expect.poll(() => visitor.locator('.who').textContent()).toContain('external auditor Q4 (auditor)');
    expect(await visitor.getByRole('link', { name: 'Administration' }).count()).toBe(0);

    await page.getByRole('button', { name: 'Revoke “external auditor Q4”' }).click();
    await page.waitForURL(/m=revoked/);
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain('The token was revoked');
    expect(await page.locator('table.tokens tbody tr', { hasText: 'external auditor Q4' }).textContent()).toContain('revoked');
    expect(await page.getByRole('button', { name: 'Revoke “external auditor Q4”' }).count()).toBe(0);

    // Its session is over, and the token signs in no more.
    await visitor.goto(`${demo.api}/console/calls`);
    expect(new URL(visitor.url()).pathname).toBe('/console/sign-in');
    await signIn(visitor, demo.api, secret);
    await expect.poll(() => visitor.getByRole('alert').textContent()).toContain('unknown or revoked');
    expect(other.problems.console).toEqual([expect.stringContaining('status of 401')]);
    other.problems.console.length = 0;
    expect(other.problems).toEqual(clean);
    // The API refuses it too.
    expect((await fetch(`${demo.api}/calls`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(401);
    expect(admin.problems).toEqual(clean);
    await other.context.close();
    await admin.context.close();
  });

  it('shows the configuration without any secret and the health of ARI, AMI, the store and the pipeline', async () => {
    const { demo, browser } = rig;
    const { context, problems, page } = await signedInPage(browser, demo.api, demo.tokens.admin);
    expect((await visit(page, `${demo.api}/console/admin/config`)).violations).toEqual([]);
    const text = (await page.locator('pre.config').textContent())!;
    const config = JSON.parse(text) as { ari: { password: string; url: string }; recordings: { ami: { secret: string } }; evidence: Record<string, unknown> };
    expect(config.ari.password).toBe('[redacted]');
    expect(config.recordings.ami.secret).toBe('[redacted]');
    expect(config.ari.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);
    expect(await page.content()).not.toContain('demo-ami-secret');

    expect((await visit(page, `${demo.api}/console/admin/health`)).violations).toEqual([]);
    for (const component of ['ari', 'ami', 'storage', 'database']) {
      expect(await page.locator(`tr[data-component="${component}"] .badge`).textContent(), component).toBe('up');
    }
    expect(await page.locator('tr[data-component="storage"] th').textContent()).toBe('Recording pipeline and object store');
    await expect.poll(() => page.getByRole('status').first().textContent()).toBe('Ready: no component is down.');
    expect(problems).toEqual(clean);
    await context.close();
  });

  it('gives an auditor and a DPO the 403 page on every admin page, and no Administration link', async () => {
    const { demo, browser } = rig;
    const { context, problems, page } = await signedInPage(browser, demo.api, demo.tokens.auditor);
    for (const role of ['auditor', 'dpo'] as const) {
      if (role !== 'auditor') await signIn(page, demo.api, demo.tokens[role]);
      expect(await page.getByRole('link', { name: 'Administration' }).count()).toBe(0);
      for (const path of ['/console/admin/tokens', '/console/admin/config', '/console/admin/health']) {
        const { status, violations } = await visit(page, `${demo.api}${path}`);
        expect(status, `${role} ${path}`).toBe(403);
        expect(violations).toEqual([]);
        await expect.poll(() => page.getByRole('alert').textContent()).toContain('This page needs the admin role');
      }
    }
    // The browser reports each refused navigation (403) itself; nothing else.
    expect(problems.console).toHaveLength(6);
    expect(problems.console.every((m) => m.includes('status of 403'))).toBe(true);
    expect({ ...problems, console: [] }).toEqual(clean);
    await context.close();
  });
});
