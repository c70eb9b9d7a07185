/**
 * The console in a real browser (Debian's Chromium): sign-in per role, every page checked by
 * axe and for CSP violations and console errors, sign-out, expiry, CSRF, roles.
 */
import { describe, expect, it } from 'vitest';
import { demoAndBrowser, signIn, visit, watchedContext } from '../harness.js';

const rig = demoAndBrowser();

describe('console: sign-in and the shell', () => {
  it('sends a visitor without a session to the sign-in page, refuses a bad token, signs each role in and out', async () => {
    const { context, problems } = await watchedContext(rig.browser, rig.demo.api);
    const page = await context.newPage();
    await page.goto(`${rig.demo.api}/console/calls`);
    expect(new URL(page.url()).pathname).toBe('/console/sign-in');
    expect((await visit(page, page.url())).violations).toEqual([]);

    await page.getByLabel('API token').fill('clt_not-a-real-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('unknown or revoked');
    // The refused sign-in answers 401, which the browser reports; nothing else may appear.
    expect(problems.console).toEqual([expect.stringContaining('status of 401')]);
    problems.console.length = 0;

    for (const role of ['auditor', 'dpo', 'admin'] as const) {
      await signIn(page, rig.demo.api, rig.demo.tokens[role]);
      expect(new URL(page.url()).pathname).toBe('/console/calls');
      await expect.poll(() => page.locator('.who').textContent()).toContain(`(${role === 'dpo' ? 'DPO' : role})`);
      const cookies = await context.cookies();
      const session = cookies.find((c) => c.name === 'consentline_session')!;
      expect(session.httpOnly).toBe(true);
      expect(session.sameSite).toBe('Strict');
      expect((await visit(page, `${rig.demo.api}/console/calls`)).violations).toEqual([]);
      expect((await visit(page, `${rig.demo.api}/console/overview`)).violations).toEqual([]);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(/\/console\/sign-in\?m=out/);
      // The old cookie is gone from the browser and dead on the server.
      expect((await context.cookies()).find((c) => c.name === 'consentline_session' && c.value !== '')).toBeUndefined();
    }
    expect(problems).toEqual({ csp: [], console: [], errors: [], foreign: [] });
    await context.close();
  });

  it('is keyboard operable: skip link first, sign-in and the filters by keyboard alone', async () => {
    const { context, problems } = await watchedContext(rig.browser, rig.demo.api);
    const page = await context.newPage();
    await page.goto(`${rig.demo.api}/console/sign-in`);
    // The token field has autofocus (applied once the page has rendered: wait for it, a loaded
    // machine typed into nothing once); typing and Enter sign in.
    await expect.poll(() => page.evaluate('document.activeElement?.id'), { timeout: 15_000 }).toBe('token');
    await page.keyboard.type(rig.demo.tokens.auditor);
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/console\/calls$/);
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate('document.activeElement.id')).toBe('main');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.id')).toBe('f-from');
    // Enter in a filter field submits the filter form (implicit submission): the filters land in the URL.
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/console\/calls\?from=&to=&flow=&did=&outcome=&language=$/);
    expect(problems).toEqual({ csp: [], console: [], errors: [], foreign: [] });
    await context.close();
  });

  it('answers every console page with a strict CSP and the session cookie only after sign-in', async () => {
    const r = await fetch(`${rig.demo.api}/console/sign-in`);
    const csp = r.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(r.headers.get('set-cookie')).not.toContain('consentline_session');
  });

  it('switches the language with the form, and follows the browser first', async () => {
    const { context, problems } = await watchedContext(rig.browser, rig.demo.api, { locale: 'pl-PL' });
    const page = await context.newPage();
    await page.goto(`${rig.demo.api}/console/sign-in`);
    expect(await page.locator('html').getAttribute('lang')).toBe('pl');
    await expect.poll(() => page.locator('h1').textContent()).toBe('Logowanie');
    await page.getByRole('button', { name: 'Language: English' }).click();
    await page.waitForLoadState('load');
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    await expect.poll(() => page.locator('h1').textContent()).toBe('Sign in');
    expect(problems).toEqual({ csp: [], console: [], errors: [], foreign: [] });
    await context.close();
  });
});
