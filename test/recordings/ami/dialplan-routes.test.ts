/** Routes checked against the running dialplan over AMI ShowDialPlan, on the AMI emulator. */
import { afterEach, describe, expect, it } from 'vitest';
import { dialplanHas } from '../../../src/recordings/ami/dialplan.js';
import { createManagerConnector } from '../../../src/recordings/ami/manager-connector.js';
import type { AmiFields, AmiSession } from '../../../src/recordings/ami/port.js';
import { checkRoutes, describeRouteCheck, namedRoutes } from '../../../src/telephony/route-check.js';
import { RouteMonitor } from '../../../src/telephony/route-monitor.js';
import { captureLogger } from '../../telephony/ari/helpers.js';
import { AmiEmulator, type AmiClass, type DialplanEntry } from '../../emulators/ami/index.js';
import { extensionMatches } from '../../emulators/ami/emulator.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const ROUTES = {
  agents: { context: 'consentline-out', extension: 'agents', priority: 1 },
  fallback: { context: 'consentline-out', extension: 'fallback', priority: 1 },
  sales: { context: 'sales', extension: '200', priority: 1 },
};
const DIALPLAN: DialplanEntry[] = [
  { context: 'consentline-out', extension: 'agents', priority: 1, app: 'Queue', appData: 'agents' },
  { context: 'consentline-out', extension: 'agents', priority: 2, app: 'Hangup' },
  { context: 'consentline-out', extension: 'fallback', priority: 1, app: 'Dial', appData: 'PJSIP/reception' },
  { context: 'sales', extension: '_2XX', priority: 1, app: 'Dial', appData: 'PJSIP/${EXTEN}' },
];

async function session(write: readonly AmiClass[], read: readonly AmiClass[] = ['call', 'dialplan', 'system']) {
  const emu = await AmiEmulator.start({ users: [{ username: 'consentline', secret: 's', read, write }] });
  cleanups.push(() => emu.stop());
  emu.setDialplan(DIALPLAN);
  const events: AmiFields[] = [];
  const outcome = await createManagerConnector().connect(
    { host: emu.host, port: emu.port, username: 'consentline', secret: 's', timeoutMs: 2_000 },
    { onEvent: (e) => events.push(e), onClose: () => undefined },
  );
  if (outcome.status !== 'ok') throw new Error(`login: ${outcome.status}`);
  cleanups.push(() => outcome.session.close());
  return { emu, s: outcome.session as AmiSession, events };
}

const check = (s: AmiSession) => checkRoutes(namedRoutes(ROUTES), (c, e) => dialplanHas(s, c, e));

describe('routes against the live dialplan (AMI ShowDialPlan)', () => {
  it('finds every route (a pattern extension counts), and names the one a reload removed', async () => {
    const { emu, s, events } = await session(['call', 'reporting']);
    expect(await check(s)).toEqual({ status: 'checked', missing: [], checked: 3 });
    expect(events.filter((e) => e.event === 'ListDialplan' && e.extension === 'agents').map((e) => e.priority)).toEqual(['1', '2']);
    emu.reloadDialplan(DIALPLAN.filter((e) => e.extension !== 'fallback'));
    await expect.poll(() => events.some((e) => e.event === 'Reload')).toBe(true);
    const after = await check(s);
    expect(after).toEqual({ status: 'checked', missing: [{ name: 'fallback', context: 'consentline-out', extension: 'fallback' }], checked: 3 });
    expect(describeRouteCheck(after)).toBe('route(s) missing from the running dialplan: fallback (fallback@consentline-out)');
  });

  it('a missing context is missing too', async () => {
    const { emu, s } = await session(['call', 'reporting']);
    emu.setDialplan(DIALPLAN.filter((e) => e.context !== 'sales'));
    expect(await check(s)).toMatchObject({ status: 'checked', missing: [{ name: 'sales' }] });
  });

  it('without write = reporting the routes are not checked, and it says which right is missing', async () => {
    const { s } = await session(['call']);
    const r = await check(s);
    expect(r).toEqual({ status: 'unchecked', reason: 'permission denied: the AMI user needs write = reporting' });
    expect(describeRouteCheck(r)).toMatch(/^routes NOT checked/);
  });

  it('without AMI it says that routes could not be checked', async () => {
    expect(describeRouteCheck(await checkRoutes(namedRoutes(ROUTES), null))).toBe('routes NOT checked against the dialplan: no AMI connection configured: routes could not be checked against the dialplan');
  });

  it('the Reload event reaches only a user that may read class system', async () => {
    const { emu, s, events } = await session(['call', 'reporting'], ['call', 'dialplan']);
    emu.reloadDialplan(DIALPLAN);
    // The Ping answer follows anything the reload sent this session on the same socket.
    expect((await s.action({ Action: 'Ping' }, 2_000)).status).toBe('success');
    expect(events.some((e) => e.event === 'Reload')).toBe(false);
  });

  it('the emulator matches extension patterns as Asterisk does', () => {
    expect(extensionMatches('_2XX', '200')).toBe(true);
    expect(extensionMatches('_2XX', '300')).toBe(false);
    expect(extensionMatches('_X.', '1')).toBe(false);
    expect(extensionMatches('_X.', '12')).toBe(true);
    expect(extensionMatches('_[a-c]!', 'b')).toBe(true);
    expect(extensionMatches('agents', 'agents')).toBe(true);
  });
});

describe('RouteMonitor: what /ready says', () => {
  it('down and naming the missing route; up once a reload adds it; disabled without AMI', async () => {
    const emu = await AmiEmulator.start({ users: [{ username: 'consentline', secret: 's', read: ['call', 'system'], write: ['call', 'reporting'] }] });
    cleanups.push(() => emu.stop());
    emu.setDialplan(DIALPLAN.filter((e) => e.extension !== 'fallback'));
    const { logger } = captureLogger();
    const monitor = new RouteMonitor({
      routes: namedRoutes(ROUTES),
      ami: { connector: createManagerConnector(), target: { host: emu.host, port: emu.port, username: 'consentline', secret: 's', timeoutMs: 2_000 } },
      log: logger,
    });
    cleanups.push(() => monitor.stop());
    monitor.start();
    await expect.poll(() => monitor.readiness()).toEqual({ status: 'down', detail: 'route(s) missing from the running dialplan: fallback (fallback@consentline-out)' });
    expect(monitor.isMissing('fallback')).toBe(true);
    expect(monitor.isMissing('agents')).toBe(false);
    emu.reloadDialplan(DIALPLAN);
    await expect.poll(() => monitor.readiness()).toEqual({ status: 'up' });
    const none = new RouteMonitor({ routes: namedRoutes(ROUTES), ami: null, log: logger });
    expect(none.readiness()).toMatchObject({ status: 'disabled', detail: expect.stringContaining('routes could not be checked') });
    expect(none.isMissing('fallback')).toBe(false);
  });
});
