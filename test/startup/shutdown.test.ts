/**
 * The service's stop through its real entry point (`src/main.ts`, SIGTERM) with the routes
 * checked against the live dialplan over AMI (issue 22 item 4), as the real-Asterisk rig runs it:
 * the route monitor and the AMI watcher each on their own AMI session, `Reload` events on, a
 * call in the flow. Whatever the AMI link is doing (a ShowDialPlan Asterisk never answers,
 * both links in their reconnect loops, a login never answered), the process must end within a
 * bound, exit 0 after its last line timed every phase of the stop, and leave neither the ARI
 * application nor an AMI session behind.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { AMI_BANNER, AmiEmulator, type DialplanEntry } from '../emulators/ami/index.js';
import { AriEmulator } from '../emulators/ari/emulator.js';
import { scenarioConfigInput } from '../scenarios/harness.js';
import { startServiceProcess, until } from './service-process.js';

const STOP_BOUND_MS = 10_000;
const entry = (context: string, extension: string): DialplanEntry => ({ context, extension, priority: 1, app: 'NoOp' });
const DIALPLAN = [entry('consentline-after', 'agents'), entry('consentline-after', 'sales'), entry('consentline-fallback', 's')];

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** An AMI port that takes the connection, sends the banner and never answers a login (Asterisk hung). */
async function silentAmi(): Promise<{ host: string; port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.resume(); // read and drop the login, so the peer's end is seen
    socket.write(AMI_BANNER);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return { host: '127.0.0.1', port: (server.address() as AddressInfo).port, sockets };
}

/** The service as a process, beside both emulators; the AMI user has the rights route checks need. */
async function start(opts: { ami?: { host: string; port: number } } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'cl-stop-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  // Prompts last long enough for a call to be in the notice when SIGTERM comes.
  const ari = await AriEmulator.start({ defaultPlaybackMs: 20_000 });
  cleanups.push(() => ari.close());
  const ami = await AmiEmulator.start({ users: [{ username: 'consentline', secret: 'ami-secret', read: ['call', 'dialplan', 'user', 'system'], write: ['call', 'reporting'] }] });
  cleanups.push(() => ami.stop());
  ami.setDialplan(DIALPLAN);
  const at = opts.ami ?? ami;
  const config = join(dir, 'consentline.yaml');
  writeFileSync(config, stringify(scenarioConfigInput({}, { recordings: { enabled: true, spoolDir: join(dir, 'spool'), ami: { host: at.host, port: at.port, username: 'consentline' } } })));
  const p = startServiceProcess({
    CONSENTLINE_CONFIG: config,
    CONSENTLINE_DATA_DIR: join(dir, 'data'),
    CONSENTLINE_API_PORT: '0',
    CONSENTLINE_API_OPS_PORT: '0',
    CONSENTLINE_ARI_URL: ari.url,
    CONSENTLINE_ARI_USERNAME: ari.username,
    CONSENTLINE_ARI_PASSWORD: ari.password,
    CONSENTLINE_AMI_SECRET: 'ami-secret',
    CONSENTLINE_PEPPER: 'test-pepper-0123456789abcdef0123456789',
  });
  cleanups.push(() => void p.child.kill('SIGKILL'));
  await until(() => ari.appConnected(), 'the ARI app connecting', 60_000);
  if (!opts.ami) {
    await until(() => p.lines.some((l) => l.msg === 'all 3 route(s) found in the running dialplan'), 'the first route check', 30_000);
    // Two AMI sessions: the recordings watcher's and the route monitor's.
    await until(() => ami.loggedInCount === 2, 'both AMI sessions logged in');
  }
  return { p, ari, ami };
}

const PHASES = ['checkpoints', 'sweep', 'assurance', 'joiners', 'routes', 'api', 'calls', 'ari', 'recordings', 'retention', 'database'];

/** SIGTERM; the exit code, null when the process did not end within the bound. */
async function stop(p: ReturnType<typeof startServiceProcess>): Promise<number | null> {
  p.child.kill('SIGTERM');
  const bound = new Promise<'bound'>((r) => setTimeout(() => r('bound'), STOP_BOUND_MS).unref());
  const code = await Promise.race([p.exited, bound]);
  return code === 'bound' ? null : code;
}

/** Ended in time with 0, after the last line of the stop timed every phase. */
async function expectStoppedInTime(p: ReturnType<typeof startServiceProcess>): Promise<void> {
  const code = await stop(p);
  expect(code, `no exit within ${STOP_BOUND_MS} ms; log tail:\n${p.raw.slice(-15).join('\n')}`).toBe(0);
  const stopped = p.lines.find((l) => l.msg === 'stopped') as { ms?: Record<string, number> } | undefined;
  expect(Object.keys(stopped?.ms ?? {})).toEqual(PHASES);
}

describe('SIGTERM with the routes checked against the live dialplan', () => {
  it('during a route check whose ShowDialPlan Asterisk never answers, with a call in the notice: ends in time, the call on its fallback', async () => {
    const { p, ari, ami } = await start();
    const call = ari.originate({ callerNumber: '+48600100200', exten: '221234567', language: 'pl' });
    await until(() => p.lines.some((l) => l.msg === 'call entered: flow chosen'), 'the call in the flow');
    ami.leaveUnanswered('ShowDialPlan');
    const asked = ami.actions.filter((a) => a.action.toLowerCase() === 'showdialplan').length;
    ami.reloadDialplan(DIALPLAN);
    await until(() => ami.actions.filter((a) => a.action.toLowerCase() === 'showdialplan').length > asked, 'a ShowDialPlan after the Reload');

    await expectStoppedInTime(p);
    expect(await call.outcome()).toMatchObject({ kind: 'continued', target: { context: 'consentline-fallback' } });
    expect(ari.appConnected()).toBe(false);
    await until(() => ami.sessionCount === 0, 'the AMI sessions closed', 5_000);
  }, 120_000);

  it('while both AMI links are down and retrying: ends in time', async () => {
    const { p, ami } = await start();
    // Asterisk's manager gone: both links in their reconnect loops.
    ami.dropConnections();
    await ami.refuseConnections();
    await until(() => p.lines.some((l) => String(l.msg).startsWith('routes NOT checked against the dialplan: AMI link lost')), 'the route monitor seeing the link lost');

    await expectStoppedInTime(p);
  }, 120_000);

  it('while both AMI logins wait on an Asterisk that took the connection and never answers: ends in time', async () => {
    const hung = await silentAmi();
    const { p } = await start({ ami: hung });
    await until(() => hung.sockets.size === 2, 'the watcher and the route monitor connecting');

    await expectStoppedInTime(p);
    await until(() => hung.sockets.size === 0, 'both AMI connections closed', 5_000);
  }, 120_000);
});
