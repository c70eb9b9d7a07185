/**
 * The console's browser harness: `npm run demo`'s script as the service (real calls on the ARI and
 * AMI emulators, stored recordings, one token per role), Debian's Chromium driven by
 * playwright-core (no browser download), and on every page axe-core (served to the page by the
 * test only, never by the service) and a watch for CSP violations and console errors.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';

export const CHROMIUM = process.env.CONSENTLINE_CHROMIUM ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

export interface Demo {
  readonly child: ChildProcess;
  readonly api: string;
  readonly tokens: { auditor: string; dpo: string; admin: string };
  /** The demo's SQLite ledger (to alter a row in a test). */
  readonly dbPath: string;
  readonly output: string;
  stop(): Promise<void>;
}

export async function startDemo(env: Record<string, string> = {}): Promise<Demo> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], {
    env: { ...process.env, DEMO_API_PORT: '0', DEMO_OPS_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += String(c)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      out += String(c);
      if (out.includes('Ctrl-C to stop.')) resolve();
    });
    void exited.then((code) => reject(new Error(`demo exited ${code} before it was ready:\n${out}\n${err}`)));
  });
  const grab = (re: RegExp) => {
    const m = re.exec(out);
    if (!m) throw new Error(`demo output lacks ${re}:\n${out}`);
    return m[1]!;
  };
  return {
    child,
    api: grab(/API: +(http:\/\/\S+)/),
    tokens: { auditor: grab(/Token: +(clt_\S+)/), dpo: grab(/DPO: +(clt_\S+)/), admin: grab(/Admin: +(clt_\S+)/) },
    dbPath: grab(/ledger verify --db (\S+)/),
    output: out,
    async stop() {
      child.kill('SIGINT');
      await exited;
    },
  };
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

/** What went wrong on a page: CSP violations, console errors, uncaught errors, requests to another origin. */
export interface PageProblems {
  readonly csp: string[];
  readonly console: string[];
  readonly errors: string[];
  readonly foreign: string[];
}

/** A browser context whose pages report every problem into `problems`. */
export async function watchedContext(browser: Browser, origin: string, opts: { locale?: string } = {}): Promise<{ context: BrowserContext; problems: PageProblems }> {
  const context = await browser.newContext({ locale: opts.locale ?? 'en-GB', viewport: { width: 1280, height: 900 } });
  const problems: PageProblems = { csp: [], console: [], errors: [], foreign: [] };
  context.on('page', (page) => watchPage(page, origin, problems));
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (!url.startsWith(origin) && !url.startsWith('data:')) {
      problems.foreign.push(url);
      return route.abort();
    }
    return route.continue();
  });
  return { context, problems };
}

function watchPage(page: Page, origin: string, problems: PageProblems): void {
  page.on('console', (msg) => {
    const text = msg.text();
    if (/Content Security Policy|Content-Security-Policy/i.test(text)) problems.csp.push(`${page.url()}: ${text}`);
    else if (msg.type() === 'error') problems.console.push(`${page.url()}: ${text}`);
  });
  page.on('pageerror', (e) => problems.errors.push(`${page.url()}: ${e.message}`));
  void origin;
}

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: unknown[] }>;
}

/**
 * axe-core on the page as it is now: evaluated through the DevTools protocol, which the page's
 * CSP does not govern, so the service never serves axe. Returns the serious and critical ones.
 */
export async function axe(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE_SOURCE);
  // A string, so the test's TypeScript needs no DOM types.
  const violations = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] }).then((r) =>
    r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) })))`)) as AxeViolation[];
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Signs in by pasting the token, as a person would. */
export async function signIn(page: Page, api: string, token: string): Promise<void> {
  await page.goto(`${api}/console/sign-in`);
  await page.getByLabel(/API token|Token API/).fill(token);
  await page.getByRole('button', { name: /^(Sign in|Zaloguj)$/ }).click();
  await page.waitForLoadState('load');
}

/** Opens a page and checks it: no serious axe violation; the caller asserts `problems` stay empty. */
export async function visit(page: Page, url: string): Promise<{ status: number; violations: AxeViolation[] }> {
  const res = await page.goto(url);
  await page.waitForLoadState('load');
  return { status: res?.status() ?? 0, violations: await axe(page) };
}

/**
 * The demo service and a browser for one test file: started before its tests (`env` read then,
 * e.g. a database made by an earlier hook), stopped after them.
 */
export function demoAndBrowser(env: () => Record<string, string> = () => ({})): { readonly demo: Demo; readonly browser: Browser } {
  const rig = {} as { demo: Demo; browser: Browser };
  beforeAll(async () => {
    rig.demo = await startDemo(env());
    rig.browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await rig.browser?.close();
    await rig.demo?.stop();
  });
  return rig;
}

/** A watched context and a page in it, signed in with `token`. */
export async function signedInPage(browser: Browser, origin: string, token: string): Promise<{ context: BrowserContext; problems: PageProblems; page: Page }> {
  const { context, problems } = await watchedContext(browser, origin);
  const page = await context.newPage();
  await signIn(page, origin, token);
  return { context, problems, page };
}

/** With CONSOLE_SCREENSHOTS=write, docs/screenshots/<name>.png of `url` (the README's images). */
export async function screenshotFor(page: Page, name: string, url: string, height: number): Promise<void> {
  if (process.env.CONSOLE_SCREENSHOTS !== 'write') return;
  await page.setViewportSize({ width: 1280, height });
  await page.goto(url);
  mkdirSync('docs/screenshots', { recursive: true });
  await page.screenshot({ path: `docs/screenshots/${name}.png` });
}
