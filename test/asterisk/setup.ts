/**
 * One private Asterisk and one ConsentLine for a test file, with the test flows:
 * each flow answers its own DID, so the called number picks it through the shipped dialplan.
 */
import { mkdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll } from 'vitest';
import { join } from 'node:path';
import { startAsterisk, type AsteriskInstance } from './harness/asterisk.js';
import { consentLineService, consentlineCli, Ledger, renderTestPrompts, type ConsentLineService } from './harness/consentline.js';
import { Observer } from './harness/observer.js';

export const DID = {
  hotline: '48221000001',
  languages: '48221000002',
  marketing: '48221000003',
  explicit: '48221000004',
  legitimate: '48221000005',
  unknown: '48229999999',
} as const;

const MENU = {
  '1': { action: 'route', route: 'agents' },
  '8': { action: 'clause' },
  '9': { action: 'objection' },
  '0': { action: 'repeat' },
};
const COMMON = {
  menu: MENU,
  // Long enough for a key pressed after a prompt ends to count on a loaded CI machine.
  timeouts: { digitSeconds: 2.5, callSeconds: 120 },
  retries: { menu: 2, question: 1 },
  defaultRoute: 'agents',
  fallbackRoute: 'fallback',
  languages: { default: 'pl', offered: ['pl'] },
};

export function testConfig(a: AsteriskInstance): Record<string, unknown> {
  return {
    service: { instanceId: 'asterisk-suite', logLevel: 'debug' },
    ari: { app: 'consentline', server: 'asterisk-test' },
    controller: { name: 'Test Controller Sp. z o.o.', jurisdiction: 'PL' },
    routes: {
      agents: { context: 'consentline-after', extension: 'agents' },
      fallback: { context: 'consentline-fallback', extension: 's' },
    },
    flows: [
      { ...COMMON, id: 'hotline', default: true, dids: [`+${DID.hotline}`], legalBasis: 'consent_by_conduct' },
      {
        ...COMMON,
        id: 'languages',
        dids: [`+${DID.languages}`],
        legalBasis: 'consent_by_conduct',
        languages: { default: 'pl', offered: ['pl', 'en'], choice: { '1': 'pl', '2': 'en' } },
      },
      {
        ...COMMON,
        id: 'marketing',
        dids: [`+${DID.marketing}`],
        legalBasis: 'consent_by_conduct',
        marketing: { controller: 'Test Controller Spółka z ograniczoną odpowiedzialnością, Warszawa', channels: ['phone'] },
      },
      { ...COMMON, id: 'explicit', dids: [`+${DID.explicit}`], legalBasis: 'explicit_consent' },
      { ...COMMON, id: 'legitimate', dids: [`+${DID.legitimate}`], legalBasis: 'legitimate_interest' },
    ],
    recordings: {
      enabled: true,
      spoolDir: a.monitorDir,
      ami: { host: '127.0.0.1', port: a.amiPort, username: a.amiUser },
    },
  };
}

export interface Rig {
  readonly dir: string;
  readonly asterisk: AsteriskInstance;
  readonly service: ConsentLineService;
  readonly observer: Observer;
  readonly ledger: Ledger;
  evidence(callId: string): Promise<string>;
  close(): Promise<void>;
}

export interface RigOptions {
  /** Test-only additions to Asterisk's configs, written before it starts. */
  readonly customize?: (etc: string) => Promise<void>;
  /** The service's config and extra environment, from the test config for this Asterisk. */
  readonly service?: (a: AsteriskInstance, config: Record<string, unknown>) => { config: Record<string, unknown>; env?: NodeJS.ProcessEnv };
  /** Waits until the service is really up when the app being registered does not say so (outbound WebSocket). */
  readonly ready?: (service: ConsentLineService) => Promise<void>;
  /** Where ConsentLine finds ARI instead of Asterisk itself (a tap in between, parity.test.ts). */
  readonly ariUrl?: (a: AsteriskInstance) => Promise<string>;
  /** Replaces the one-word notice (see renderTestPrompts). */
  readonly noticeText?: string;
  /** recordings.capture: ami, the manager.conf edits it needs, and a route without the recording gate. */
  readonly amiCapture?: boolean;
  /** recordings.source: ari (no shared spool: fetched over ARI) and a route whose MixMonitor writes there. */
  readonly ariFetch?: boolean;
  /** manager.conf as its comments say for checking routes against the dialplan. */
  readonly routeCheck?: boolean;
  /**
   * Agents registered (consentline agents set) before any call, so calls bridged to them are
   * recorded: default the stub queue's agent, informed 30 days ago. `[]`: none.
   */
  readonly agents?: readonly TestAgent[];
}

export interface TestAgent {
  readonly agentId: string;
  readonly interfaces: readonly string[];
  readonly language?: string;
  /** Days since the agent was informed of monitoring; null: not informed. */
  readonly informedDaysAgo: number | null;
}

/** The stub queue's member (test/asterisk/stubs/queues.conf), as the registry names it. */
export const STUB_AGENT: TestAgent = { agentId: 'stub-agent', interfaces: ['Local/agent@consentline-test-agent'], informedDaysAgo: 30 };
export const NOTICE_DOCUMENT_SHA256 = 'c0ffee'.repeat(10) + 'c0de';

/** `consentline token create --role dpo` on the rig's database. */
export async function dpoToken(service: ConsentLineService): Promise<string> {
  const r = await consentlineCli(['token', 'create', '--role', 'dpo', '--name', 'rig dpo', '--subject', 'dpo-of-the-rig', '--db', service.dbPath], service.env);
  if (r.code !== 0) throw new Error(`token create: ${r.stderr}`);
  return r.stdout.trim();
}

/** `consentline agents set` for one agent (as a DPO does), with the notice `informedDaysAgo` days old. */
export async function registerAgent(service: ConsentLineService, token: string, a: TestAgent): Promise<void> {
  const day = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
  const notice = a.informedDaysAgo === null ? ['--not-informed'] : ['--informed-on', day(a.informedDaysAgo), '--document-version', 'test-1', '--document-sha256', NOTICE_DOCUMENT_SHA256];
  const ifaces = a.interfaces.flatMap((i) => ['--interface', i]);
  const r = await consentlineCli(['agents', 'set', a.agentId, ...ifaces, '--language', a.language ?? 'pl', ...notice, '--token', token, '--config', service.configFile, '--db', service.dbPath], service.env);
  if (r.code !== 0) throw new Error(`agents set ${a.agentId} exited ${r.code}: ${r.stderr}`);
}

function ariFetchConfig(config: Record<string, unknown>, a: AsteriskInstance, dir: string): Record<string, unknown> {
  mkdirSync(join(dir, 'no-shared-spool'), { recursive: true });
  const recordings = { ...(config.recordings as Record<string, unknown>), source: 'ari', spoolDir: join(dir, 'no-shared-spool'), ariRecordingDir: join(a.dir, 'spool/recording') };
  const routes = { ...(config.routes as Record<string, unknown>), agents: { context: 'consentline-test-arifetch', extension: 'agents' } };
  return { ...config, recordings, routes };
}

function amiCaptureConfig(config: Record<string, unknown>): Record<string, unknown> {
  const recordings = { ...(config.recordings as Record<string, unknown>), capture: 'ami' };
  const routes = { ...(config.routes as Record<string, unknown>), agents: { context: 'consentline-test-ami', extension: 'agents' } };
  return { ...config, recordings, routes };
}

function siteConfig(options: RigOptions, a: AsteriskInstance, dir: string): Record<string, unknown> {
  if (options.amiCapture) return amiCaptureConfig(testConfig(a));
  if (options.ariFetch) return ariFetchConfig(testConfig(a), a, dir);
  return testConfig(a);
}

export async function startRig(o: RigOptions = {}): Promise<Rig> {
  const dir = await mkdtemp(join(tmpdir(), 'consentline-asterisk-'));
  const asterisk = await startAsterisk(join(dir, 'asterisk'), { amiCapture: o.amiCapture, routeCheck: o.routeCheck, customize: o.customize });
  try {
    const promptsDir = join(dir, 'prompts');
    await renderTestPrompts(promptsDir, o.noticeText);
    const install = await consentlineCli(['prompts', 'install', '--from', promptsDir, '--sounds-dir', asterisk.soundsDir]);
    if (install.code !== 0) throw new Error(`consentline prompts install exited ${install.code}:\n${install.stderr}`);
    const observer = await Observer.connect(asterisk);
    const site = siteConfig(o, asterisk, dir);
    const tuned = o.service?.(asterisk, site) ?? { config: site };
    const service = await consentLineService({ asterisk, dir: join(dir, 'service'), promptsDir, config: tuned.config, env: tuned.env });
    if (o.ariUrl) service.env.CONSENTLINE_ARI_URL = await o.ariUrl(asterisk);
    await service.start();
    await o.ready?.(service);
    const agents = o.agents ?? [STUB_AGENT];
    if (agents.length) {
      const token = await dpoToken(service);
      for (const a of agents) await registerAgent(service, token, a);
    }
    const ledger = new Ledger(service.dbPath);
    return {
      dir,
      asterisk,
      service,
      observer,
      ledger,
      async evidence(callId) {
        const r = await consentlineCli(['evidence', callId, '--db', service.dbPath]);
        if (r.code !== 0) throw new Error(`consentline evidence ${callId} exited ${r.code}: ${r.stderr}`);
        return r.stdout;
      },
      async close() {
        observer.close();
        ledger.close();
        // Bounded: after the lifecycle file (route checks on) the stop's wait for Asterisk to see the
        // app gone did not end within 60 s although the tests passed; a SIGKILL then ends it (see the stop-28 note).
        // The service's last log line ("stopped", with each phase's ms) says where a slow stop spent its time.
        const stopped = new Promise<void>((_, reject) => setTimeout(() => reject(new Error('stop timed out')), 20_000).unref());
        await Promise.race([service.stop(), stopped]).catch(async (err: unknown) => {
          const tail = (await readFile(service.logFile, 'utf8').catch(() => '')).trimEnd().split('\n').slice(-3).join('\n');
          process.stderr.write(`[asterisk rig] the service's stop failed (${String(err)}); SIGKILL. Its last log lines:\n${tail}\n`);
          await service.kill();
        });
        await asterisk.stop();
        if (!process.env.CONSENTLINE_KEEP_TEST_DIR) await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await asterisk.stop();
    throw err;
  }
}

/** One rig for the test file (started before its tests, closed after); the getter is valid inside tests. */
export function rigForFile(options: RigOptions = {}): () => Rig {
  let rig: Rig | undefined;
  beforeAll(async () => {
    rig = await startRig(options);
  }, 600_000);
  afterAll(async () => {
    await rig?.close();
  }, 60_000);
  return () => rig!;
}

export async function until(ok: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `consentline recording decrypt` of one recording into `out`; returns the bytes. */
export async function decryptRecording(rig: Rig, recordingId: string, out: string, reason: string): Promise<Buffer> {
  const r = await consentlineCli(
    ['recording', 'decrypt', recordingId, '--reason', reason, '--out', out, '--config', rig.service.configFile, '--db', rig.service.dbPath],
    rig.service.env,
  );
  if (r.code !== 0) throw new Error(`consentline recording decrypt exited ${r.code}: ${r.stderr}`);
  return readFile(out);
}
