import { mkdtempSync, rmSync } from 'node:fs';
import { afterEach } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigSchema } from '../../src/config/schema.js';
import { realAri } from '../../src/main-ari.js';
import { loadPromptCatalog } from '../../src/prompts/manifest.js';
import { startService, type Service } from '../../src/server.js';
import type { StoredEvent } from '../../src/evidence/types.js';
import { AriEmulator, type AriEmulatorOptions, type CallHandle, type OriginateOptions } from '../emulators/ari/emulator.js';
import { captureLogger } from '../telephony/ari/helpers.js';
import { databaseTarget } from '../../src/evidence/open-store.js';
import { outcomeFindings } from './outcome-check.js';
import { HOTLINE_ROUTES, hotlineConfigInput } from '../support/hotline-config.js';

export const ROUTES = HOTLINE_ROUTES;

export function scenarioConfig(flow: Record<string, unknown> = {}, top: Record<string, unknown> = {}) {
  return ConfigSchema.parse(scenarioConfigInput(flow, top));
}

/** The scenario configuration as a file would hold it (before defaults): the hotline with short timeouts. */
export function scenarioConfigInput(flow: Record<string, unknown> = {}, top: Record<string, unknown> = {}) {
  return hotlineConfigInput({ timeouts: { digitSeconds: 0.4, callSeconds: 30, promptSeconds: 10 }, retries: { menu: 1, question: 1 }, ...flow }, top);
}

/** The outbound guard's routes (as asterisk/extensions.conf names them) and section, for these campaigns: a scenario's `top`. */
export function outboundTop(campaigns: ReadonlyArray<Record<string, unknown>>) {
  return {
    routes: {
      ...ROUTES,
      'outbound-dial': { context: 'consentline-outbound-dial', extension: 'dial' },
      'outbound-refused': { context: 'consentline-outbound-dial', extension: 'refused' },
    },
    outbound: { dialRoute: 'outbound-dial', refusedRoute: 'outbound-refused', campaigns },
  };
}

/** The service on its real parts (ARI adapter, SQLite file, prompt catalogue) against the ARI emulator. */
export async function startScenario(
  opts: {
    flow?: Record<string, unknown>;
    top?: Record<string, unknown>;
    emulator?: AriEmulatorOptions;
    beforeService?: (emu: AriEmulator) => Promise<void>;
  } = {},
) {
  const emu = await AriEmulator.start({ defaultPlaybackMs: 120, ...opts.emulator });
  await opts.beforeService?.(emu);
  const dataDir = mkdtempSync(join(tmpdir(), 'cl-scenario-'));
  const base = scenarioConfig(opts.flow, opts.top);
  const config = {
    ...base,
    service: { ...base.service, dataDir },
    api: { ...base.api, host: '127.0.0.1', port: 0, ops: { ...base.api.ops, port: 0 } },
    ari: { ...base.ari, url: emu.url, username: emu.username, password: emu.password, requestTimeoutMs: 500 },
    evidence: { ...base.evidence, pepper: 'test-pepper-0123456789abcdef0123456789' },
    // A spool dir of its own: never the host's Asterisk spool.
    recordings: { ...base.recordings, spoolDir: join(dataDir, 'spool') },
  };
  const { logger, lines } = captureLogger();
  const service: Service = await startService({
    config,
    log: logger,
    createAri: realAri,
    loadPrompts: (dir) => loadPromptCatalog(dir),
  });
  await emu.waitFor(() => emu.appConnected(), { what: 'the app connecting' });

  async function call(originate: OriginateOptions = {}) {
    const handle: CallHandle = emu.originate({ callerNumber: '+48600100200', exten: '221234567', language: 'pl', ...originate });
    const outcome = await handle.outcome();
    await service.calls.drain();
    const events = await eventsOfChannel(service, handle.id);
    return { handle, outcome, vars: handle.variables(), events, kinds: events.map((e) => e.kind) };
  }

  /** A dialer's campaign call, `Stasis(<app>,outbound,<campaign>,<number>)` from consentline-outbound; settled. */
  async function campaignCall(campaign: string, number: string) {
    const handle = emu.originate({ exten: number, context: 'consentline-outbound', args: ['outbound', campaign, number], state: 'Down' as 'Ring' });
    const outcome = await handle.outcome();
    await service.calls.drain();
    return { handle, outcome };
  }

  return {
    emu,
    service,
    config,
    logs: lines,
    call,
    campaignCall,
    /** Calls of this scenario's ledger without exactly one outcome (see outcome-check.ts). */
    outcomeFindings: () => outcomeFindings(databaseTarget(config)),
    async stop() {
      await service.stop();
      await emu.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A call's evidence, found through the channel id its `call.started` event names. */
export async function eventsOfChannel(service: Service, channelId: string): Promise<StoredEvent[]> {
  for await (const e of service.store.events()) {
    if (e.kind === 'call.started' && e.data.channelId === channelId && e.callId) return service.store.callEvents(e.callId);
  }
  return [];
}

/** The prompts a call played, in order, with how each ended. */
export const promptsPlayed = (events: readonly StoredEvent[]) =>
  events.filter((e) => e.kind === 'prompt.played').map((e) => `${String(e.data.promptId)}:${String(e.data.playback)}`);

export type Scenario = Awaited<ReturnType<typeof startScenario>>;

/** For files that start a scenario per test: returns the starter; each test's scenario is stopped after it. */
export function scenarioPerTest(): (opts?: Parameters<typeof startScenario>[0]) => Promise<Scenario> {
  let current: Scenario | undefined;
  afterEach(async () => {
    await current?.stop();
    current = undefined;
  });
  return async (opts) => (current = await startScenario(opts));
}
