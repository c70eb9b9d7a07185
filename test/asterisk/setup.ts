/**
 * One private Asterisk and one ConsentLine for a test file, with the test flows:
 * each flow answers its own DID, so the called number picks it through the shipped dialplan.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
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
  /** Replaces the one-word notice (see renderTestPrompts). */
  readonly noticeText?: string;
  /** recordings.capture: ami, the manager.conf edits it needs, and a route without the recording gate. */
  readonly amiCapture?: boolean;
}

function amiCaptureConfig(config: Record<string, unknown>): Record<string, unknown> {
  const recordings = { ...(config.recordings as Record<string, unknown>), capture: 'ami' };
  const routes = { ...(config.routes as Record<string, unknown>), agents: { context: 'consentline-test-ami', extension: 'agents' } };
  return { ...config, recordings, routes };
}

export async function startRig(options: RigOptions = {}): Promise<Rig> {
  const dir = await mkdtemp(join(tmpdir(), 'consentline-asterisk-'));
  const asterisk = await startAsterisk(join(dir, 'asterisk'), { amiCapture: options.amiCapture });
  try {
    const promptsDir = join(dir, 'prompts');
    await renderTestPrompts(promptsDir, options.noticeText);
    const install = await consentlineCli(['prompts', 'install', '--from', promptsDir, '--sounds-dir', asterisk.soundsDir]);
    if (install.code !== 0) throw new Error(`consentline prompts install exited ${install.code}:\n${install.stderr}`);
    const observer = await Observer.connect(asterisk);
    const service = await consentLineService({ asterisk, dir: join(dir, 'service'), promptsDir, config: options.amiCapture ? amiCaptureConfig(testConfig(asterisk)) : testConfig(asterisk) });
    await service.start();
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
        await service.stop().catch(() => service.kill());
        await asterisk.stop();
        if (!process.env.CONSENTLINE_KEEP_TEST_DIR) await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await asterisk.stop();
    throw err;
  }
}
