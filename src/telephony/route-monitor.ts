import type { Config } from '../config/schema.js';
import { dialplanHas } from '../recordings/ami/dialplan.js';
import { createManagerConnector } from '../recordings/ami/manager-connector.js';
import type { AmiConnector, AmiFields, AmiSession, AmiTarget } from '../recordings/ami/port.js';
import type { Logger } from '../shared/log.js';
import { checkRoutes, describeRouteCheck, namedRoutes, type NamedRoute, type RouteCheck } from './route-check.js';

export interface RouteMonitorDeps {
  readonly routes: readonly NamedRoute[];
  /** Null when no AMI is configured: the monitor then only says that routes could not be checked. */
  readonly ami: { readonly connector: AmiConnector; readonly target: AmiTarget } | null;
  readonly log: Logger;
  /** Wait before reconnecting after a lost or refused AMI link. */
  readonly retryMs?: number;
}

const NO_AMI: RouteCheck = { status: 'unchecked', reason: 'no AMI secret configured (CONSENTLINE_AMI_SECRET): routes could not be checked against the dialplan' };

/**
 * Keeps the configured routes checked against the running dialplan: once the AMI link is up
 * (start-up, reconnects) and after every `Reload` event (a dialplan reload). The result feeds
 * /ready, a metric, the call path (a missing route sends the call to the fallback) and one log
 * line per change.
 */
export class RouteMonitor {
  #last: RouteCheck = { status: 'unchecked', reason: 'not checked yet' };
  #logged = '';
  #session: AmiSession | null = null;
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;
  #running: Promise<void> = Promise.resolve();

  constructor(private readonly d: RouteMonitorDeps) {
    if (!d.ami) this.#set(NO_AMI);
  }

  get last(): RouteCheck {
    return this.#last;
  }

  /** True when the last check found this route missing from the running dialplan. */
  isMissing(name: string): boolean {
    return this.#last.status === 'checked' && this.#last.missing.some((r) => r.name === name);
  }

  /** Per route: 1 found, 0 missing, -1 not checked (for the metric). */
  routeStates(): Record<string, number> {
    const last = this.#last;
    return Object.fromEntries(this.d.routes.map((r) => [r.name, last.status !== 'checked' ? -1 : last.missing.some((m) => m.name === r.name) ? 0 : 1]));
  }

  readiness(): { status: 'up' | 'down' | 'disabled'; detail?: string } {
    const last = this.#last;
    if (last.status === 'unchecked') return { status: 'disabled', detail: describeRouteCheck(last) };
    if (last.missing.length) return { status: 'down', detail: describeRouteCheck(last) };
    return { status: 'up' };
  }

  start(): void {
    if (this.d.ami) void this.#connect();
  }

  /** Runs a check now (after the ones already running); resolves when it is done. */
  recheck(): Promise<void> {
    this.#running = this.#running.then(() => this.#check());
    return this.#running;
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#session?.close();
    this.#session = null;
  }

  async #connect(): Promise<void> {
    const ami = this.d.ami!;
    const outcome = await ami.connector.connect(ami.target, {
      onEvent: (ev: AmiFields) => {
        if (ev.event?.toLowerCase() === 'reload') void this.recheck();
      },
      onClose: (reason) => {
        this.#session = null;
        this.#set({ status: 'unchecked', reason: `AMI link lost (${reason}): routes not checked since` });
        this.#retry();
      },
    });
    if (this.#stopped) {
      if (outcome.status === 'ok') outcome.session.close();
      return;
    }
    if (outcome.status !== 'ok') {
      this.#set({ status: 'unchecked', reason: `AMI ${outcome.status}: ${outcome.message}` });
      this.#retry();
      return;
    }
    this.#session = outcome.session;
    await this.recheck();
  }

  #retry(): void {
    if (this.#stopped || this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.#connect();
    }, this.d.retryMs ?? 30_000);
    this.#timer.unref?.();
  }

  async #check(): Promise<void> {
    const s = this.#session;
    if (!s || this.#stopped) return;
    this.#set(await checkRoutes(this.d.routes, (c, e) => dialplanHas(s, c, e)));
  }

  /** Logs a line only when what the check says changed. */
  #set(c: RouteCheck): void {
    this.#last = c;
    const line = describeRouteCheck(c);
    if (line === this.#logged) return;
    this.#logged = line;
    const fields = { event: 'routes_checked', status: c.status, ...(c.status === 'checked' ? { missing: c.missing.map((r) => r.name) } : {}) };
    if (c.status === 'checked' && !c.missing.length) this.d.log.info(fields, line);
    else this.d.log.warn(fields, line);
  }
}

/** The configured AMI endpoint (recordings.ami; its secret from CONSENTLINE_AMI_SECRET), or null without a secret. */
function amiTargetOf(config: Pick<Config, 'recordings'>): AmiTarget | null {
  const a = config.recordings.ami;
  return a.secret ? { host: a.host, port: a.port, username: a.username, secret: a.secret, timeoutMs: 5_000 } : null;
}

/** The monitor on the configured AMI endpoint. */
export function createRouteMonitor(config: Pick<Config, 'routes' | 'recordings'>, log: Logger): RouteMonitor {
  const target = amiTargetOf(config);
  return new RouteMonitor({ routes: namedRoutes(config.routes), ami: target ? { connector: createManagerConnector(), target } : null, log: log.child({ component: 'routes' }) });
}

/** One check on a session of its own (`check-config --live`). */
export async function checkRoutesLive(config: Pick<Config, 'routes' | 'recordings'>, connector: AmiConnector = createManagerConnector()): Promise<RouteCheck> {
  const target = amiTargetOf(config);
  if (!target) return NO_AMI;
  const outcome = await connector.connect(target, { onEvent: () => undefined, onClose: () => undefined });
  if (outcome.status !== 'ok') return { status: 'unchecked', reason: `AMI ${outcome.status}: ${outcome.message}` };
  try {
    return await checkRoutes(namedRoutes(config.routes), (c, e) => dialplanHas(outcome.session, c, e));
  } finally {
    outcome.session.close();
  }
}
