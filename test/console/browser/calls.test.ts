/**
 * The calls pages in a real browser on the demo's ledger: list and filters, the DPO's caller
 * search (by POST, never in a URL), a call's page per role, audio with a reason (access-logged,
 * seeking by HTTP Range), bundle and receipt downloads, and the in-browser verification: passes
 * on the good ledger, fails naming the event once a row is altered in the database; the
 * consistency check between two checkpoints. axe and the CSP/console watch on every page.
 */
import { mkdirSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { axe, demoAndBrowser, signIn, visit, watchedContext, type PageProblems } from '../harness.js';

const rig = demoAndBrowser();

const clean: PageProblems = { csp: [], console: [], errors: [], foreign: [] };

function ledger() {
  return new Database(rig.demo.dbPath);
}

/** A recorded, continued call of the demo in Polish (it has a stored recording; call ids are random, so the language is asked for). */
function recordedCall(): string {
  const db = ledger();
  try {
    return db
      .prepare("SELECT r.call_id FROM recordings r JOIN calls c ON c.call_id = r.call_id WHERE r.state = 'done' AND c.language = 'pl' ORDER BY r.call_id LIMIT 1")
      .pluck()
      .get() as string;
  } finally {
    db.close();
  }
}

async function verifyResult(page: Page): Promise<{ summary: string; failed: string[] }> {
  await page.getByRole('button', { name: 'Verify in this browser' }).click();
  const summary = page.locator('#verify [data-summary]');
  await expect.poll(() => summary.textContent(), { timeout: 30_000 }).toMatch(/^(Verified|Verification FAILED)/);
  return { summary: (await summary.textContent())!, failed: await page.locator('#verify ol.checks li.fail').allTextContents() };
}

describe('console: calls', () => {
  it('lists calls with filters in the URL and keyset pages; an auditor sees a call without its recordings or receipt, verifies it in the browser and downloads its bundle', async () => {
    const { context, problems } = await watchedContext(rig.browser, rig.demo.api);
    const page = await context.newPage();
    await signIn(page, rig.demo.api, rig.demo.tokens.auditor);
    expect((await visit(page, `${rig.demo.api}/console/calls`)).violations).toEqual([]);
    expect(await page.locator('table.calls tbody tr').count()).toBe(12);
    await page.getByLabel('Outcome').selectOption('objected');
    await page.getByRole('button', { name: 'Show calls' }).click();
    await page.waitForURL(/outcome=objected/);
    expect(await page.locator('table.calls tbody tr').count()).toBe(1);
    await page.goto(`${rig.demo.api}/console/calls?language=en`);
    expect(await page.locator('table.calls tbody tr').count()).toBe(1);
    // No caller search for an auditor, and the route refuses them.
    expect(await page.getByLabel("Caller's number").count()).toBe(0);

    const callId = recordedCall();
    expect((await visit(page, `${rig.demo.api}/console/calls/${callId}`)).violations).toEqual([]);
    await expect.poll(() => page.locator('h1').textContent()).toBe(`Call ${callId}`);
    expect(await page.locator('table.timeline tbody tr').count()).toBeGreaterThan(3);
    expect(await page.getByText(/Prompt notice \(pl\), text version/).count()).toBeGreaterThan(0);
    expect(await page.locator('#recordings-h').count()).toBe(0);
    expect(await page.locator('#receipt-h').count()).toBe(0);

    const good = await verifyResult(page);
    expect(good.failed).toEqual([]);
    expect(good.summary).toMatch(/^Verified in this browser: all \d+ checks passed\.$/);
    const checks = await page.locator('#verify ol.checks li').allTextContents();
    expect(checks.some((c) => /Ed25519 signature valid/.test(c))).toBe(true);
    expect(checks.some((c) => /RFC 9162 inclusion proof/.test(c))).toBe(true);
    expect(checks.filter((c) => /equals its stored hash/.test(c)).length).toBe(await page.locator('table.timeline tbody tr').count());

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download the evidence bundle' }).click()]);
    const bundle = JSON.parse(await streamText(await download.createReadStream())) as { format: string; calls: Array<{ callId: string }> };
    expect(bundle.format).toBe('consentline.evidence-bundle/1');
    expect(bundle.calls.map((c) => c.callId)).toEqual([callId]);

    expect(problems).toEqual(clean);
    const refused = await page.goto(`${rig.demo.api}/console/calls/${callId}/receipt?format=kantara`);
    expect(refused!.status()).toBe(403);
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('needs the DPO role');
    // The browser reports the refused navigation itself; nothing else.
    expect(problems.console).toEqual([expect.stringContaining('status of 403')]);
    problems.console.length = 0;
    if (process.env.CONSOLE_SCREENSHOTS === 'write') {
      await page.setViewportSize({ width: 1280, height: 1350 });
      await page.goto(`${rig.demo.api}/console/calls/${callId}`);
      await verifyResult(page);
      await page.evaluate('window.scrollTo(0, 0)');
      mkdirSync('docs/screenshots', { recursive: true });
      await page.screenshot({ path: 'docs/screenshots/console-call.png' });
    }
    await context.close();
  });

  it("lets the DPO find a caller's calls by a number sent by POST only, play a recording after giving a reason (access-logged, seekable) and download the receipt", async () => {
    const { context, problems } = await watchedContext(rig.browser, rig.demo.api);
    const page = await context.newPage();
    const urls: string[] = [];
    const ranges: Array<{ range: string | undefined; status: number }> = [];
    page.on('request', (r) => urls.push(r.url()));
    page.on('response', (r) => {
      if (r.url().includes('/audio?')) ranges.push({ range: r.request().headers().range, status: r.status() });
    });
    await signIn(page, rig.demo.api, rig.demo.tokens.dpo);
    await page.getByLabel("Caller's number").fill('600 100 201');
    await page.getByRole('button', { name: 'Find calls' }).click();
    await page.waitForLoadState('load');
    expect(await page.locator('table.calls tbody tr').count()).toBe(1);
    expect(await axe(page)).toEqual([]);
    expect(urls.filter((u) => /600.?100.?201/.test(decodeURIComponent(u)))).toEqual([]);

    const callId = recordedCall();
    expect((await visit(page, `${rig.demo.api}/console/calls/${callId}`)).violations).toEqual([]);
    const audio = page.locator('audio');
    expect(await audio.isHidden()).toBe(true);
    await page.getByLabel(/Why are you playing this recording/).fill('complaint 2026/17');
    await page.getByRole('button', { name: 'Play' }).click();
    await expect.poll(() => audio.evaluate((a) => (a as unknown as { readyState: number }).readyState), { timeout: 15_000 }).toBeGreaterThanOrEqual(1);
    await audio.evaluate((a) => {
      const el = a as unknown as { currentTime: number; duration: number; pause(): void };
      el.pause();
      el.currentTime = el.duration / 2;
    });
    await expect.poll(() => audio.evaluate((a) => (a as unknown as { currentTime: number }).currentTime)).toBeGreaterThan(0.5);
    expect(ranges.length).toBeGreaterThan(0);
    expect(ranges.every((r) => r.status === 200 || r.status === 206)).toBe(true);

    const db = ledger();
    const logged = (db.prepare("SELECT data FROM events WHERE kind = 'access.logged' ORDER BY seq").pluck().all() as string[]).map((d) => JSON.parse(d) as Record<string, unknown>);
    db.close();
    const plays = logged.filter((d) => d.route === 'GET /recordings/:recordingId/audio');
    expect(plays.length).toBeGreaterThan(0);
    expect(plays.every((d) => d.reason === 'complaint 2026/17' && d.role === 'dpo')).toBe(true);
    expect(logged.some((d) => d.route === 'POST /calls/search-by-caller' && (d.criteria as string[]).includes('callerNumber'))).toBe(true);
    expect(JSON.stringify(logged)).not.toMatch(/600.?100.?201/);

    const [receipt] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: /Kantara/ }).click()]);
    expect((JSON.parse(await streamText(await receipt.createReadStream())) as { version: string }).version).toBeDefined();
    expect(problems).toEqual(clean);
    expect(rig.demo.output).not.toMatch(/600 100 201/);
    await context.close();
  });

  it('checks consistency between two checkpoints in the browser, and fails naming the event after a row is altered in the database', async () => {
    // A second checkpoint, so there are two to compare.
    const signed = await fetch(`${rig.demo.api}/checkpoints`, { method: 'POST', headers: { authorization: `Bearer ${rig.demo.tokens.admin}` } });
    expect([200, 201]).toContain(signed.status);
    const { context, problems } = await watchedContext(rig.browser, rig.demo.api);
    const page = await context.newPage();
    await signIn(page, rig.demo.api, rig.demo.tokens.auditor);
    expect((await visit(page, `${rig.demo.api}/console/verify`)).violations).toEqual([]);
    await page.getByRole('button', { name: 'Check consistency in this browser' }).click();
    const summary = page.locator('[data-verify-consistency] [data-summary]');
    await expect.poll(() => summary.textContent(), { timeout: 30_000 }).toMatch(/^Verified in this browser/);
    expect(await page.locator('[data-verify-consistency] ol.checks li').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringMatching(/is a prefix of the tree of \d+ events/)]),
    );

    const callId = recordedCall();
    const db = ledger();
    const target = db.prepare("SELECT seq, kind FROM events WHERE call_id = ? AND kind = 'consent.recording'").get(callId) as { seq: number; kind: string };
    db.exec('DROP TRIGGER IF EXISTS events_no_update');
    db.prepare("UPDATE events SET data = json_set(data, '$.decision', 'refused') WHERE seq = ?").run(target.seq);
    db.close();
    await page.goto(`${rig.demo.api}/console/calls/${callId}`);
    const bad = await verifyResult(page);
    expect(bad.summary).toContain('Verification FAILED');
    expect(bad.summary).toContain(`event ${target.seq} (consent.recording) was altered`);
    expect(bad.failed).toHaveLength(1);
    expect(problems).toEqual(clean);
    await context.close();
  });
});

async function streamText(stream: NodeJS.ReadableStream): Promise<string> {
  let s = '';
  for await (const chunk of stream) s += String(chunk);
  return s;
}
