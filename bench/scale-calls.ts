// Call set-up latency for bench:scale: each instance is the real service in its own process
// (bench/scale-call-instance.ts) with its own ARI emulator process (its "Asterisk server"), all
// instances on one database. Calls arrive on every emulator at once; each call hears the notice
// and the menu, presses 1 and is continued.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { control, pct, round, startEmulator, waitDone, type EmuCall } from './emulator-control.js';

const INSTANCE = fileURLToPath(new URL('./scale-call-instance.ts', import.meta.url));

export interface CallSetupResult {
  readonly calls: number;
  readonly continued: number;
  /** StasisStart → the first play request: what the caller waits before hearing anything. */
  readonly firstPlayP50Ms: number;
  readonly firstPlayP99Ms: number;
  /** The key press → the continue request: includes the durable write of the caller's choice. */
  readonly keyToContinueP50Ms: number;
  readonly keyToContinueP99Ms: number;
}

interface Instance {
  readonly emulator: { child: ChildProcess; controlPort: number };
  readonly service: ChildProcess;
  readonly lines: AsyncIterator<string>;
}

async function startInstance(database: string, n: number): Promise<Instance> {
  const emulator = await startEmulator();
  const service = spawn(
    process.execPath,
    ['--import', 'tsx', INSTANCE, '--database', database, '--ari', `http://127.0.0.1:${emulator.ariPort}`, '--instance', `bench-${n}`],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: service.stdout! })[Symbol.asyncIterator]();
  const ready = await lines.next();
  if (ready.value !== 'ready') throw new Error(`call instance ${n} did not start: ${String(ready.value)}`);
  return { emulator, service, lines };
}

async function stopInstance(i: Instance): Promise<void> {
  i.service.stdin!.end('stop\n');
  if (i.service.exitCode === null) await once(i.service, 'exit');
  await control(i.emulator.controlPort, 'POST', '/shutdown').catch(() => undefined);
  i.emulator.child.kill();
}

/**
 * `instances` services on `database` (one at a time started, so the first one migrates),
 * `callsPerInstance` calls on each at `ratePerInstance` new calls/s.
 */
export async function measureCallSetup(opts: {
  readonly database: string;
  readonly instances: number;
  readonly callsPerInstance: number;
  readonly ratePerInstance: number;
}): Promise<CallSetupResult> {
  const running: Instance[] = [];
  try {
    for (let n = 0; n < opts.instances; n++) running.push(await startInstance(opts.database, n));
    const batch = async (i: Instance, count: number, rate: number): Promise<EmuCall[]> => {
      const port = i.emulator.controlPort;
      await control(port, 'POST', '/playback', { 'sound:consentline/notice': 300, 'sound:consentline/menu': 200 });
      const { batch: id } = (await control(port, 'POST', '/originate', {
        count,
        ratePerSec: rate,
        script: [{ when: { on: 'PlaybackFinished', media: 'sound:consentline/menu' }, afterMs: 20, do: { dtmf: '1' } }],
        exten: '221234567',
      })) as { batch: number };
      return waitDone(port, id, count, 120_000);
    };
    // Warm-up: JIT, pools, pages; not measured.
    await Promise.all(running.map((i) => batch(i, 30, 50)));
    const calls = (await Promise.all(running.map((i) => batch(i, opts.callsPerInstance, opts.ratePerInstance)))).flat();
    const firstPlay = calls.filter((c) => c.stasisStartAt && c.firstPlayAt).map((c) => c.firstPlayAt! - c.stasisStartAt!);
    const keyToContinue = calls.filter((c) => c.lastDtmfAt && c.continuedAt).map((c) => c.continuedAt! - c.lastDtmfAt!);
    return {
      calls: calls.length,
      continued: calls.filter((c) => c.outcome?.kind === 'continued').length,
      firstPlayP50Ms: round(pct(firstPlay, 50)),
      firstPlayP99Ms: round(pct(firstPlay, 99)),
      keyToContinueP50Ms: round(pct(keyToContinue, 50)),
      keyToContinueP99Ms: round(pct(keyToContinue, 99)),
    };
  } finally {
    await Promise.all(running.map(stopInstance));
  }
}
