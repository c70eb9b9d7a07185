/**
 * The bench's stage: the suite's private Asterisk (test/asterisk/harness, reused), a small bench
 * dialplan beside the shipped one, ConsentLine started through its real entry point on a flow of
 * one-word prompts (notice + menu, 0.2 s digit wait), and the minimal app as its own process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFile, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, startAsterisk, type AsteriskInstance } from '../../test/asterisk/harness/asterisk.js';
import { consentLineService, consentlineCli, renderTestPrompts, type ConsentLineService } from '../../test/asterisk/harness/consentline.js';
import type { AriTarget } from './ari-http.js';

export const MINIMAL_APP = 'bench-minimal';
export const AFTER_CONTEXT = 'bench-after';
export const BENCH_DID = '48221000001';

/** Caller half waits, IVR half runs the app; the continue context is the completion signal. */
const BENCH_DIALPLAN = `
[bench-caller]
exten => s,1,Wait(10)
 same => n,Hangup()
[${MINIMAL_APP}-inbound]
exten => _[+0-9].,1,Set(CHANNEL(language)=pl)
 same => n,Stasis(${MINIMAL_APP},\${EXTEN})
 same => n,Hangup()
[${AFTER_CONTEXT}]
exten => s,1,NoOp(bench continued \${CONSENT_RECORDING})
 same => n,Hangup()
`;

function benchConfig(): Record<string, unknown> {
  return {
    service: { instanceId: 'bench-asterisk', logLevel: 'info' },
    ari: { app: 'consentline', server: 'bench' },
    controller: { name: 'Bench Controller Sp. z o.o.', jurisdiction: 'PL' },
    routes: { after: { context: AFTER_CONTEXT, extension: 's' }, fallback: { context: 'consentline-fallback', extension: 's' } },
    flows: [
      {
        id: 'bench',
        default: true,
        dids: [`+${BENCH_DID}`],
        legalBasis: 'consent_by_conduct',
        menu: { '1': { action: 'route', route: 'after' }, '8': { action: 'clause' }, '9': { action: 'objection' } },
        timeouts: { digitSeconds: 0.2, callSeconds: 120 },
        retries: { menu: 0, question: 0 },
        defaultRoute: 'after',
        fallbackRoute: 'fallback',
        languages: { default: 'pl', offered: ['pl'] },
      },
    ],
  };
}

export interface BenchRig {
  readonly asterisk: AsteriskInstance;
  readonly ari: AriTarget;
  readonly service: ConsentLineService;
  readonly pids: { asterisk: number; consentline: number; minimal: number };
  close(): Promise<void>;
}

/** The child of this process running `node ... src/main.ts` (the harness spawns it directly). */
async function serviceChildPid(): Promise<number> {
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid !== process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes('src/main.ts')) return Number(entry);
  }
  throw new Error('ConsentLine process not found among this process\'s children');
}

function startMinimalApp(ari: AriTarget): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...(process.env.BENCH_CPU_PROF_DIR ? ['--cpu-prof', '--cpu-prof-dir', join(process.env.BENCH_CPU_PROF_DIR, 'minimal')] : []), '--import', 'tsx', join(REPO, 'bench/asterisk/minimal-app.ts')], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...process.env,
      BENCH_ARI_PORT: String(ari.port),
      BENCH_ARI_USER: ari.user,
      BENCH_ARI_PASSWORD: ari.password,
      BENCH_APP: MINIMAL_APP,
      BENCH_PROMPT: 'sound:consentline/notice',
      BENCH_CONTINUE: `${AFTER_CONTEXT},s`,
    },
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`minimal app exited with ${code} before connecting`)));
    child.stdout?.on('data', (b: Buffer) => b.toString().includes('connected') && resolve(child));
  });
}

export async function startBenchRig(): Promise<BenchRig> {
  const dir = await mkdtemp(join(tmpdir(), 'consentline-bench-asterisk-'));
  const asterisk = await startAsterisk(join(dir, 'asterisk'));
  let minimal: ChildProcess | null = null;
  let service: ConsentLineService | null = null;
  try {
    await appendFile(join(asterisk.dir, 'etc/extensions.conf'), BENCH_DIALPLAN);
    await asterisk.cli('dialplan reload');
    const promptsDir = join(dir, 'prompts');
    await renderTestPrompts(promptsDir);
    const install = await consentlineCli(['prompts', 'install', '--from', promptsDir, '--sounds-dir', asterisk.soundsDir]);
    if (install.code !== 0) throw new Error(`consentline prompts install exited ${install.code}:\n${install.stderr}`);
    const ari = { port: asterisk.httpPort, user: asterisk.ariUser, password: asterisk.ariPassword };
    service = await consentLineService({ asterisk, dir: join(dir, 'service'), promptsDir, config: benchConfig() });
    await service.start();
    minimal = await startMinimalApp(ari);
    const pids = {
      asterisk: Number((await readFile(join(asterisk.dir, 'run/asterisk.pid'), 'utf8')).trim()),
      consentline: await serviceChildPid(),
      minimal: minimal.pid!,
    };
    const svc = service;
    const app = minimal;
    return {
      asterisk, ari, service: svc, pids,
      async close() {
        app.kill('SIGTERM');
        await svc.stop().catch(() => svc.kill());
        await asterisk.stop();
        if (!process.env.CONSENTLINE_KEEP_TEST_DIR) await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    minimal?.kill('SIGTERM');
    await service?.kill();
    await asterisk.stop();
    if (!process.env.CONSENTLINE_KEEP_TEST_DIR) await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
