import { afterEach, describe, expect, it } from 'vitest';
import { AmiEmulator, type DialplanEntry } from '../emulators/ami/index.js';
import { pressAfter } from '../emulators/ari/emulator.js';
import { scenarioPerTest } from './harness.js';

/** Issue 22 item 4: a route the dialplan lacks sends its calls to the fallback, named in the ledger. */
const start = scenarioPerTest();
let ami: AmiEmulator | undefined;
afterEach(async () => {
  await ami?.stop();
  ami = undefined;
});

const entry = (context: string, extension: string): DialplanEntry => ({ context, extension, priority: 1, app: 'NoOp' });
const FULL = [entry('consentline-after', 'agents'), entry('consentline-after', 'sales'), entry('consentline-fallback', 's')];

async function withAmi(dialplan: readonly DialplanEntry[]) {
  ami = await AmiEmulator.start({ users: [{ username: 'consentline', secret: 'ami-secret', read: ['call', 'dialplan', 'system'], write: ['call', 'reporting'] }] });
  ami.setDialplan(dialplan);
  const s = await start({ top: { recordings: { enabled: false, ami: { host: ami.host, port: ami.port, username: 'consentline', secret: 'ami-secret' } } } });
  const states = async () => Object.fromEntries((await s.service.metrics.registry.getSingleMetric('consentline_route_in_dialplan')!.get()).values.map((v) => [v.labels.route, v.value]));
  return { s, emu: ami, states };
}

describe('routes against the running dialplan', () => {
  it('a missing route: metric and one log line; its calls go to the fallback with the reason in the ledger; a reload that adds it brings it back', async () => {
    const { s, emu, states } = await withAmi(FULL.filter((e) => e.extension !== 'sales'));
    await expect.poll(states, { timeout: 10_000 }).toEqual({ agents: 1, fallback: 1, sales: 0 });
    const missingLine = 'route(s) missing from the running dialplan: sales (sales@consentline-after)';
    expect(s.logs.filter((l) => l.msg === missingLine)).toHaveLength(1);

    const r = await s.call({ script: [pressAfter('consentline/menu', '1', 20)] });
    expect(r.outcome).toMatchObject({ kind: 'continued', target: { context: 'consentline-fallback', extension: 's' } });
    expect(r.vars.CONSENT_RECORDING).toBe('no');
    expect(r.events.at(-1)).toMatchObject({ kind: 'call.failed', data: { reason: 'route_not_in_dialplan', missingRoute: 'sales', route: 'fallback', recording: 'no' } });
    // Calls to routes that are there are not touched.
    expect((await s.call()).outcome).toMatchObject({ kind: 'continued', target: { extension: 'agents' } });

    emu.reloadDialplan(FULL.filter((e) => e.extension !== 'sales'));
    emu.reloadDialplan(FULL);
    await expect.poll(states, { timeout: 10_000 }).toEqual({ agents: 1, fallback: 1, sales: 1 });
    expect(s.logs.filter((l) => l.msg === missingLine)).toHaveLength(1);
    expect(s.logs.filter((l) => l.msg === 'all 3 route(s) found in the running dialplan')).toHaveLength(1);
    const again = await s.call({ script: [pressAfter('consentline/menu', '1', 20)] });
    expect(again.outcome).toMatchObject({ kind: 'continued', target: { extension: 'sales' } });
  });

  it('without an AMI secret the routes are not checked and calls go where the config says', async () => {
    const s = await start();
    const gauge = await s.service.metrics.registry.getSingleMetric('consentline_route_in_dialplan')!.get();
    expect(gauge.values.map((v) => v.value)).toEqual([-1, -1, -1]);
    expect(s.logs.some((l) => String(l.msg).startsWith('routes NOT checked against the dialplan: no AMI secret configured'))).toBe(true);
    expect((await s.call({ script: [pressAfter('consentline/menu', '1', 20)] })).outcome).toMatchObject({ kind: 'continued', target: { extension: 'sales' } });
  });
});
