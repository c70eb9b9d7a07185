/**
 * The ARI emulator in its own process, for benchmarks.
 *
 *   tsx test/emulators/ari/standalone.ts --port 8088 --control-port 8089 [--app consentline]
 *     [--user asterisk --pass asterisk] [--playback-ms 300] [--no-events-log]
 *
 * Prints one line `ARI-EMULATOR READY {"ariPort":…,"controlPort":…}` when listening.
 * Control endpoint (JSON over HTTP on loopback):
 *   POST /originate  {count, ratePerSec, script?, callerNumberPrefix?, exten?, language?, args?}
 *                    → 202 {batch}; calls enter Stasis at the given rate
 *   GET  /calls      → [{id, batch, stasisStartAt, firstPlayAt, lastDtmfAt, continuedAt, outcome}] (epoch ms, fractional)
 *   GET  /stats      → counts by state, appConnected, originated
 *   POST /playback   {media: ms, …} per-sound durations
 *   POST /contexts   {contexts: [..] | null}
 *   POST /drop-websocket {refuseReconnectMs?}
 *   POST /reset      forget finished calls and logs
 *   POST /shutdown
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { AriEmulator, type CallerScript } from './emulator.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'control-port': { type: 'string', default: '0' },
    app: { type: 'string' },
    user: { type: 'string' },
    pass: { type: 'string' },
    'playback-ms': { type: 'string', default: '300' },
    'no-events-log': { type: 'boolean', default: false },
  },
});

const emu = await AriEmulator.start({
  port: Number(values.port),
  app: values.app,
  username: values.user,
  password: values.pass,
  defaultPlaybackMs: Number(values['playback-ms']),
  recordEvents: !values['no-events-log'],
  logRequests: !values['no-events-log'],
});

interface OriginateBatch {
  readonly count: number;
  readonly ratePerSec: number;
  readonly script?: CallerScript;
  readonly callerNumberPrefix?: string;
  readonly exten?: string;
  readonly language?: string;
  readonly args?: string[];
}

const loopDelay = monitorEventLoopDelay({ resolution: 5 });
loopDelay.enable();

const batchOf = new Map<string, number>();
let batches = 0;
let originated = 0;

function originateBatch(b: OriginateBatch): number {
  const batch = ++batches;
  const start = performance.now();
  let sent = 0;
  const tick = (): void => {
    const due = Math.min(b.count, Math.floor(((performance.now() - start) / 1000) * b.ratePerSec) + 1);
    while (sent < due) {
      const n = sent++;
      const call = emu.originate({
        callerNumber: `${b.callerNumberPrefix ?? '4860010'}${String(n).padStart(4, '0')}`,
        exten: b.exten,
        language: b.language,
        args: b.args,
        script: b.script,
      });
      batchOf.set(call.id, batch);
      originated += 1;
    }
    if (sent < b.count) setTimeout(tick, 2);
  };
  tick();
  return batch;
}

function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve(text ? (JSON.parse(text) as Record<string, unknown>) : {});
      } catch (err) {
        reject(err as Error);
      }
    });
  });
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

const control = createServer((req, res) => {
  void (async () => {
    const body = req.method === 'POST' ? await readJson(req) : {};
    switch (`${req.method} ${req.url}`) {
      case 'POST /originate': {
        const b = body as unknown as OriginateBatch;
        if (!(b.count > 0) || !(b.ratePerSec > 0)) return reply(res, 400, { error: 'count and ratePerSec must be > 0' });
        return reply(res, 202, { batch: originateBatch(b) });
      }
      case 'GET /calls':
        return reply(
          res,
          200,
          emu.channels().map((c) => ({
            id: c.id,
            batch: batchOf.get(c.id) ?? null,
            stasisStartAt: c.stasisStartAt,
            firstPlayAt: c.firstPlayAt,
            lastDtmfAt: c.lastDtmfAt,
            continuedAt: c.continuedAt,
            outcome: c.outcome,
          })),
        );
      case 'GET /stats': {
        const byWhere: Record<string, number> = {};
        const byOutcome: Record<string, number> = {};
        for (const c of emu.channels()) {
          byWhere[c.where] = (byWhere[c.where] ?? 0) + 1;
          const k = c.outcome ? c.outcome.kind : 'pending';
          byOutcome[k] = (byOutcome[k] ?? 0) + 1;
        }
        const cpu = process.cpuUsage();
        return reply(res, 200, {
          originated,
          byWhere,
          byOutcome,
          appConnected: emu.appConnected(),
          cpuMs: Math.round((cpu.user + cpu.system) / 1000),
          loopDelayMs: { p50: loopDelay.percentile(50) / 1e6, p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 },
        });
      }
      case 'POST /playback':
        for (const [media, ms] of Object.entries(body)) emu.setPlaybackDuration(media, Number(ms));
        return reply(res, 204, null);
      case 'POST /contexts':
        emu.setKnownContexts((body.contexts as string[] | null | undefined) ?? null);
        return reply(res, 204, null);
      case 'POST /drop-websocket':
        emu.dropWebSocket({ refuseReconnectMs: Number(body.refuseReconnectMs ?? 0) });
        return reply(res, 204, null);
      case 'POST /reset':
        emu.forgetFinished();
        emu.clearLogs();
        return reply(res, 204, null);
      case 'POST /shutdown':
        reply(res, 204, null);
        await emu.close();
        control.close();
        control.closeAllConnections();
        return;
      default:
        return reply(res, 404, { error: 'unknown control command' });
    }
  })().catch((err: unknown) => reply(res, 500, { error: String(err) }));
});

await new Promise<void>((resolve) => control.listen(Number(values['control-port']), '127.0.0.1', resolve));
const controlPort = (control.address() as AddressInfo).port;
process.stdout.write(`ARI-EMULATOR READY ${JSON.stringify({ ariPort: emu.port, controlPort })}\n`);

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    void emu.close().finally(() => process.exit(0));
  });
}
