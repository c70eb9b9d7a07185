/**
 * The DPO's pages in a real browser on the demo's ledger: a legal hold placed and released by
 * two people in two browser sessions (the same person, even with another token, is refused);
 * an erasure with its signed certificate and the hold that kept a call; an Art. 15 export
 * downloaded and in the access log; a withdrawal received by letter; the retention policies and
 * sweeps; an auditor refused on every DPO page. axe and the CSP/console/foreign-request watch on
 * every page. A caller's number goes in form bodies only: never in an address or the log.
 */
import Database from 'better-sqlite3';
import type { Browser, BrowserContext, Download, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteTokenStore } from '../../../src/api/tokens.js';
import { verifyErasureCertificate, type ErasureCertificate } from '../../../src/retention/certificate.js';
import { launchBrowser, signIn, startDemo, visit, watchedContext, type Demo, type PageProblems } from '../harness.js';

let demo: Demo;
let browser: Browser;
/** A DPO who is another person than the demo's, and a second token of the demo DPO's own person. */
const extra = { otherPerson: '', samePerson: '' };
beforeAll(async () => {
  demo = await startDemo();
  browser = await launchBrowser();
  const db = new Database(demo.dbPath);
  try {
    const store = new SqliteTokenStore(db);
    extra.otherPerson = (await store.create('second dpo', 'dpo', 'dpo-two@example.org')).token;
    extra.samePerson = (await store.create('demo dpo laptop', 'dpo', 'demo-dpo')).token;
  } finally {
    db.close();
  }
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await demo?.stop();
});

const clean: PageProblems = { csp: [], console: [], errors: [], foreign: [] };

function query<T>(sql: string, ...params: unknown[]): T[] {
  const db = new Database(demo.dbPath, { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

/** A recorded call of the demo. */
const recordedCall = () => query<{ call_id: string }>("SELECT call_id FROM recordings WHERE state = 'done' ORDER BY call_id LIMIT 1")[0]!.call_id;

/** A signed-in DPO (or other role) in a browser context of their own, every request's URL kept. */
async function session(token: string): Promise<{ context: BrowserContext; problems: PageProblems; page: Page; urls: string[] }> {
  const { context, problems } = await watchedContext(browser, demo.api);
  const page = await context.newPage();
  const urls: string[] = [];
  page.on('request', (r) => urls.push(decodeURIComponent(r.url())));
  await signIn(page, demo.api, token);
  return { context, problems, page, urls };
}

async function readDownload(d: Download): Promise<string> {
  let s = '';
  for await (const chunk of await d.createReadStream()) s += String(chunk);
  return s;
}

const holdRow = (page: Page, holdId: string) => page.locator(`tr[data-hold-id="${holdId}"]`);

describe('console: DPO pages', () => {
  it('places a hold and releases it by four eyes: asked by one DPO, refused to the same person, approved by another in their own session', async () => {
    const a = await session(demo.tokens.dpo);
    expect((await visit(a.page, `${demo.api}/console/holds`)).violations).toEqual([]);
    const callId = recordedCall();
    await a.page.getByLabel('One call (by call id)').check();
    await a.page.getByLabel('Call id, caller number or flow id').fill(callId);
    await a.page.getByLabel('Reason (case, letter, authority)').fill('litigation 12/2026');
    await a.page.getByRole('button', { name: 'Place the hold' }).click();
    await expect.poll(() => a.page.getByRole('status').first().textContent()).toContain('The hold is placed');
    const [hold] = query<{ id: string; released_at: string | null }>("SELECT id, released_at FROM legal_holds WHERE scope = 'call' AND target = ?", callId);
    expect(hold).toMatchObject({ released_at: null });
    const row = holdRow(a.page, hold!.id);
    expect(await row.textContent()).toContain('litigation 12/2026');
    expect(await a.page.locator('main').getByRole('link', { name: `call ${callId}` }).count()).toBe(1);
    expect((await visit(a.page, a.page.url())).violations).toEqual([]);

    await row.getByLabel('Why release it').fill('case settled');
    await row.getByRole('button', { name: 'Ask for the release' }).click();
    await expect.poll(() => a.page.getByRole('status').first().textContent()).toContain('Another DPO must approve it');
    // The one who asked sees the pending request and no approve button.
    expect(await holdRow(a.page, hold!.id).textContent()).toContain('release asked for by demo dpo');
    expect(await holdRow(a.page, hold!.id).locator('[data-four-eyes]').textContent()).toContain('another DPO, a different person, must approve it');
    expect(await holdRow(a.page, hold!.id).getByRole('button', { name: 'Approve the release' }).count()).toBe(0);
    expect((await visit(a.page, a.page.url())).violations).toEqual([]);

    // The same person with another token: the page offers the button, the service refuses, the page says why.
    const same = await session(extra.samePerson);
    await same.page.goto(`${demo.api}/console/holds`);
    await holdRow(same.page, hold!.id).getByRole('button', { name: 'Approve the release' }).click();
    await same.page.waitForLoadState('load');
    await expect.poll(() => same.page.getByRole('alert').textContent()).toContain('You cannot approve this release: it was asked for by demo dpo');
    expect(await same.page.getByRole('alert').textContent()).toContain('same person');
    expect(query("SELECT released_at FROM legal_holds WHERE id = ?", hold!.id)).toEqual([{ released_at: null }]);
    // The refusal answers 409, which the browser reports; nothing else.
    expect(same.problems.console).toEqual([expect.stringContaining('status of 409')]);
    same.problems.console.length = 0;

    // Another person, in a second browser context, approves: released.
    const b = await session(extra.otherPerson);
    expect((await visit(b.page, `${demo.api}/console/holds`)).violations).toEqual([]);
    await holdRow(b.page, hold!.id).getByRole('button', { name: 'Approve the release' }).click();
    await expect.poll(() => b.page.getByRole('status').first().textContent()).toContain('The hold is released');
    expect(await holdRow(b.page, hold!.id).textContent()).toMatch(/released on .*asked for by demo dpo, approved by second dpo/);
    expect(query<{ released_at: string | null }>('SELECT released_at FROM legal_holds WHERE id = ?', hold!.id)[0]!.released_at).not.toBeNull();
    const released = query<{ data: string }>("SELECT data FROM events WHERE kind = 'hold.released'").map((e) => JSON.parse(e.data) as Record<string, unknown>);
    expect(released).toEqual([expect.objectContaining({ holdId: hold!.id, requestedBySubject: 'demo-dpo', approvedBySubject: 'dpo-two@example.org' })]);
    expect((await visit(b.page, b.page.url())).violations).toEqual([]);

    // A form without the session's CSRF token changes nothing.
    const forged = await a.page.evaluate(`fetch('/console/holds', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'scope=flow&target=main&reason=forged' }).then((r) => r.status)`);
    expect(forged).toBe(403);
    expect(query("SELECT id FROM legal_holds WHERE reason = 'forged'")).toEqual([]);
    a.problems.console.splice(0, a.problems.console.length, ...a.problems.console.filter((m) => !m.includes('status of 403')));
    for (const s of [a, same, b]) {
      expect(s.problems).toEqual(clean);
      await s.context.close();
    }
  });

  it("erases a caller's data, shows the hold that kept a call, and downloads the signed certificate; the number is in no address and no log", async () => {
    const s = await session(demo.tokens.dpo);
    // A hold on one caller's calls (by number, in the form body), then the erasure of that caller and of another.
    await s.page.goto(`${demo.api}/console/holds`);
    await s.page.getByLabel(/A caller's calls \(by number/).check();
    await s.page.getByLabel('Call id, caller number or flow id').fill('600 100 207');
    await s.page.getByLabel('Reason (case, letter, authority)').fill('complaint 9/2026');
    await s.page.getByRole('button', { name: 'Place the hold' }).click();
    await expect.poll(() => s.page.getByRole('status').first().textContent()).toContain('The hold is placed');
    const heldCall = query<{ call_id: string }>("SELECT call_id FROM calls WHERE caller_masked LIKE '%07'")[0]!.call_id;

    expect((await visit(s.page, `${demo.api}/console/subjects`)).violations).toEqual([]);
    const form = s.page.locator('#erasure-form');
    await form.getByLabel("Caller's number").fill('600 100 207');
    await form.getByLabel('Reason (the request’s reference)').fill('Art. 17 request 4/2026');
    await form.getByLabel(/I have checked the requester's identity/).check();
    await form.getByRole('button', { name: 'Erase and sign a certificate' }).click();
    await s.page.waitForURL(/\/console\/subjects\/erasures\/[0-9a-f-]{36}\?m=done$/);
    expect((await visit(s.page, s.page.url())).violations).toEqual([]);
    const kept = s.page.locator('section', { has: s.page.getByRole('heading', { name: 'Kept because of a legal hold' }) });
    expect(await kept.textContent()).toContain(`call ${heldCall}`);
    expect(await kept.textContent()).toContain('held now by:');
    const holdId = query<{ id: string }>("SELECT id FROM legal_holds WHERE reason = 'complaint 9/2026'")[0]!.id;
    expect(await kept.locator(`a[href$="#hold-${holdId}"]`).count()).toBe(1);

    // A caller with no hold: erased, and the certificate downloaded and checked against the service's key.
    await s.page.goto(`${demo.api}/console/subjects`);
    await form.getByLabel("Caller's number").fill('+48 600 100 206');
    await form.getByLabel('Reason (the request’s reference)').fill('Art. 17 request 5/2026');
    await form.getByLabel(/I have checked the requester's identity/).check();
    await form.getByRole('button', { name: 'Erase and sign a certificate' }).click();
    await s.page.waitForURL(/\/console\/subjects\/erasures\/[0-9a-f-]{36}\?m=done$/);
    await expect.poll(() => s.page.getByRole('status').first().textContent()).toContain('The data is erased');
    const requestId = /erasures\/([0-9a-f-]{36})/.exec(s.page.url())![1]!;
    const [download] = await Promise.all([s.page.waitForEvent('download'), s.page.getByRole('link', { name: 'Download the signed certificate (JSON)' }).click()]);
    expect(download.suggestedFilename()).toBe(`erasure-certificate-${requestId}.json`);
    const cert = JSON.parse(await readDownload(download)) as ErasureCertificate;
    expect(cert).toMatchObject({ type: 'consentline-erasure-certificate-v1', requestId, subject: { masked: expect.stringMatching(/\*06$/) }, notErased: { heldCallIds: [] } });
    expect(cert.erased.callIds).toHaveLength(1);
    const key = (await (await fetch(`${demo.api}/checkpoints/public-key`, { headers: { authorization: `Bearer ${demo.tokens.dpo}` } })).json()) as { verifierKey: string };
    expect(verifyErasureCertificate(cert, key.verifierKey)).toBe(true);

    // The list shows both, the held call counted.
    await s.page.goto(`${demo.api}/console/subjects`);
    const rows = s.page.locator('table.erasures tbody tr');
    expect(await rows.count()).toBe(2);
    expect(await rows.nth(1).textContent()).toMatch(/done, certificate signed.*1 call\(s\)/s);
    expect(s.urls.filter((u) => /600.?100.?20[67]/.test(u))).toEqual([]);
    expect(demo.output).not.toMatch(/600.?100.?20[67]/);
    expect(s.problems).toEqual(clean);
    await s.context.close();
  });

  it('downloads an Art. 15 export for a caller, and the read is in the access log with the reason', async () => {
    const s = await session(demo.tokens.dpo);
    await s.page.goto(`${demo.api}/console/subjects`);
    const form = s.page.locator('#access-form');
    await form.getByLabel("Caller's number").fill('600 100 201');
    await form.getByLabel('Language of the summary').selectOption('en');
    await form.getByLabel('Reason (the request’s reference)').fill('Art. 15 request 8/2026');
    const [download] = await Promise.all([s.page.waitForEvent('download'), form.getByRole('button', { name: 'Download the export' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^access-export-\d{4}-\d{2}-\d{2}\.json$/);
    const body = JSON.parse(await readDownload(download)) as { export: { type: string; lang: string; subject: { masked: string }; calls: Array<{ callId: string }> }; summary: string };
    expect(body.export).toMatchObject({ type: 'consentline-access-export-v1', lang: 'en' });
    expect(body.export.calls).toHaveLength(1);
    expect(body.summary).toMatch(/We hold 1 call\(s\)/);
    const logged = query<{ data: string }>("SELECT data FROM events WHERE kind = 'access.logged' ORDER BY seq").map((e) => JSON.parse(e.data) as Record<string, unknown>);
    const entry = logged.filter((d) => d.route === 'POST /subjects/access');
    expect(entry).toEqual([expect.objectContaining({ reason: 'Art. 15 request 8/2026', role: 'dpo', criteria: ['callerNumber'], callIds: [body.export.calls[0]!.callId] })]);
    expect(JSON.stringify(logged)).not.toMatch(/600.?100.?201/);

    // A wrong number: the page says so, nothing is read.
    await form.getByLabel("Caller's number").fill('not a number');
    await form.getByLabel('Reason (the request’s reference)').fill('typo');
    await form.getByRole('button', { name: 'Download the export' }).click();
    await expect.poll(() => s.page.getByRole('alert').textContent()).toBe('That is not a phone number.');
    expect(query("SELECT seq FROM events WHERE kind = 'access.logged' AND data LIKE '%typo%'")).toEqual([]);
    expect(s.problems.console).toEqual([expect.stringContaining('status of 400')]);
    s.problems.console.length = 0;
    expect(s.urls.filter((u) => /600.?100.?201/.test(u))).toEqual([]);
    expect(s.problems).toEqual(clean);
    await s.context.close();
  });

  it('records a withdrawal received by letter as a ledger event', async () => {
    const s = await session(demo.tokens.dpo);
    await s.page.goto(`${demo.api}/console/subjects`);
    const form = s.page.locator('#withdrawal-form');
    await form.getByLabel("Caller's number").fill('+44 7009 00123');
    await form.getByLabel('Consent withdrawn').selectOption('marketing');
    await form.getByLabel('Received by').selectOption('letter');
    await form.getByLabel('Reference of the letter or e-mail').fill('letter 2026/51');
    await form.getByRole('button', { name: 'Record the withdrawal' }).click();
    await expect.poll(() => s.page.getByRole('status').first().textContent()).toMatch(/The withdrawal is recorded as ledger event \d+\./);
    const seq = Number(/event (\d+)/.exec((await s.page.getByRole('status').first().textContent())!)![1]);
    const [event] = query<{ kind: string; data: string }>('SELECT kind, data FROM events WHERE seq = ?', seq);
    expect(event!.kind).toBe('consent.withdrawn');
    expect(JSON.parse(event!.data)).toMatchObject({ consent: 'marketing', channel: 'letter', reference: 'letter 2026/51', recordedBy: { tokenName: 'demo dpo' } });
    expect(s.urls.filter((u) => /7009.?00123/.test(u))).toEqual([]);
    expect((await visit(s.page, s.page.url())).violations).toEqual([]);
    expect(s.problems).toEqual(clean);
    await s.context.close();
  });

  it('lists the retention policies from the configuration, runs a dry run and a sweep, and lists both with what they kept and why', async () => {
    const s = await session(demo.tokens.dpo);
    expect((await visit(s.page, `${demo.api}/console/retention`)).violations).toEqual([]);
    const policies = (await (await fetch(`${demo.api}/retention/policies`, { headers: { authorization: `Bearer ${demo.tokens.dpo}` } })).json()) as { default: { recordingsDays: number; evidenceDays: number; quarantineDays: number } };
    const defaultRow = s.page.locator('table.policies tr', { hasText: 'every other flow (default)' });
    expect((await defaultRow.locator('td').allTextContents()).map(Number)).toEqual([policies.default.recordingsDays, policies.default.evidenceDays, policies.default.quarantineDays]);
    expect(await s.page.getByRole('status').count()).toBe(1);
    expect(await s.page.getByRole('status').textContent()).toBe('No sweep has run since the service keeps their reports.');

    await s.page.getByRole('button', { name: 'Dry run (changes nothing)' }).click();
    await expect.poll(() => s.page.getByRole('status').first().textContent()).toContain('The sweep ran');
    await s.page.getByRole('button', { name: 'Run the sweep now' }).click();
    await s.page.waitForLoadState('load');
    const runs = s.page.locator('table.sweeps tr[data-run-id]');
    await expect.poll(() => runs.count()).toBe(2);
    expect(await runs.nth(0).locator('td').nth(1).textContent()).toBe('sweep');
    expect(await runs.nth(1).locator('td').nth(1).textContent()).toBe('dry run');
    const stored = query<{ id: string; dry_run: number }>('SELECT id, dry_run FROM retention_runs ORDER BY started_at DESC');
    expect(stored.map((r) => r.dry_run)).toEqual([0, 1]);
    expect(await runs.nth(0).getAttribute('data-run-id')).toBe(stored[0]!.id);
    // The demo's calls are recent: nothing is due, and the report says so; the call under the caller hold is not even due.
    await s.page.getByText(/What and why/).first().click();
    expect(await s.page.locator('table.sweeps details').first().textContent()).toContain('Nothing was due.');
    expect((await visit(s.page, s.page.url())).violations).toEqual([]);
    expect(s.problems).toEqual(clean);
    await s.context.close();
  });

  it('shows an auditor the 403 page on every DPO page and refuses their forms; no DPO entry in their navigation', async () => {
    const s = await session(demo.tokens.auditor);
    expect(await s.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Legal holds' }).count()).toBe(0);
    const requestId = query<{ id: string }>('SELECT id FROM erasure_requests LIMIT 1')[0]!.id;
    for (const path of ['/console/holds', '/console/subjects', '/console/retention', `/console/subjects/erasures/${requestId}`, `/console/subjects/erasures/${requestId}/certificate`]) {
      const { status, violations } = await visit(s.page, `${demo.api}${path}`);
      expect(status, path).toBe(403);
      expect(violations, path).toEqual([]);
      await expect.poll(() => s.page.getByRole('alert').textContent()).toBe('This page needs the DPO role; you are signed in as auditor.');
    }
    const csrf = await s.page.locator('input[name=_csrf]').first().getAttribute('value');
    const posted = await s.page.evaluate(`fetch('/console/retention/sweeps', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'dryRun=false&_csrf=${csrf}' }).then((r) => r.status)`);
    expect(posted).toBe(403);
    expect(query('SELECT id FROM retention_runs')).toHaveLength(2);
    expect(s.problems.console.length).toBeGreaterThan(0);
    expect(s.problems.console.filter((m) => !m.includes('status of 403'))).toEqual([]);
    expect({ ...s.problems, console: [] }).toEqual(clean);
    await s.context.close();
  });
});
