// The ARI emulator as its own process (test/emulators/ari/standalone.ts) and its control port,
// for the benches that drive calls through the real service.
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { createInterface } from 'node:readline';
import { ConfigSchema, type Config } from '../src/config/schema.js';

export function control(port: number, method: string, path: string, body?: unknown): Promise<unknown> {
  const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method, path, headers: data ? { 'content-type': 'application/json', 'content-length': data.length } : {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve(text ? JSON.parse(text) : null);
        });
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

export async function startEmulator(): Promise<{ child: ChildProcess; ariPort: number; controlPort: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/emulators/ari/standalone.ts', '--no-events-log', '--playback-ms', '200'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    const m = /^ARI-EMULATOR READY (.*)$/.exec(line);
    if (m) return { child, ...(JSON.parse(m[1]!) as { ariPort: number; controlPort: number }) };
  }
  throw new Error('emulator did not start');
}


/** One call as the emulator's control port reports it (epoch ms, fractional). */
export interface EmuCall {
  id: string;
  batch: number | null;
  stasisStartAt: number | null;
  firstPlayAt: number | null;
  lastDtmfAt: number | null;
  continuedAt: number | null;
  outcome: { kind: string } | null;
}

export const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
export const round = (x: number, d = 2) => Number(x.toFixed(d));

export async function waitDone(controlPort: number, batch: number, count: number, timeoutMs: number): Promise<EmuCall[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const calls = ((await control(controlPort, 'GET', '/calls')) as EmuCall[]).filter((c) => c.batch === batch);
    if (calls.length === count && calls.every((c) => c.outcome)) return calls;
    if (Date.now() > deadline) throw new Error(`batch ${batch}: ${calls.filter((c) => c.outcome).length}/${count} calls done in time`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * The service's configuration for call benches: one flow (notice, menu, key 1 → sales),
 * recordings and retention off, the API on a free port.
 */
export function benchServiceConfig(opts: { dataDir: string; ariUrl: string; database?: string; instanceId?: string; server?: string }): Config {
  return ConfigSchema.parse({
    service: { dataDir: opts.dataDir, logLevel: 'warn', ...(opts.instanceId ? { instanceId: opts.instanceId } : {}) },
    ...(opts.database ? { database: { url: opts.database } } : {}),
    api: { port: 0, ops: { port: 0 } },
    ari: { url: opts.ariUrl, username: 'asterisk', password: 'asterisk', ...(opts.server ? { server: opts.server } : {}) },
    evidence: { pepper: 'bench-pepper-0123456789abcdef0123456789' },
    recordings: { enabled: false },
    retention: { enabled: false },
    routes: { sales: { context: 'consentline-after', extension: 'sales' }, fallback: { context: 'consentline-fallback', extension: 's' } },
    flows: [
      {
        id: 'hotline',
        default: true,
        legalBasis: 'consent_by_conduct',
        menu: { '1': { action: 'route', route: 'sales' }, '8': { action: 'clause' }, '9': { action: 'objection' } },
        timeouts: { digitSeconds: 5, callSeconds: 120 },
        defaultRoute: 'sales',
        fallbackRoute: 'fallback',
      },
    ],
  });
}
