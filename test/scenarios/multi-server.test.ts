import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { realAri } from '../../src/main-ari.js';
import { loadPromptCatalog } from '../../src/prompts/manifest.js';
import { startService, type Service } from '../../src/server.js';
import { AriEmulator, pressAfter } from '../emulators/ari/emulator.js';
import { captureLogger } from '../telephony/ari/helpers.js';
import { eventsOfChannel, scenarioConfig } from './harness.js';

const MENU = 'consentline/menu';

/** One service against two emulated Asterisk servers, `pbx-a` and `pbx-b`. */
async function startTwoServers(opts: { playbackMs?: Record<string, number> } = {}) {
  const emulatorOpts = { defaultPlaybackMs: 120, ...(opts.playbackMs ? { playbackMs: opts.playbackMs } : {}) };
  const a = await AriEmulator.start(emulatorOpts);
  const b = await AriEmulator.start(emulatorOpts);
  const dataDir = mkdtempSync(join(tmpdir(), 'cl-multi-'));
  const base = scenarioConfig();
  const config = {
    ...base,
    service: { ...base.service, dataDir },
    api: { ...base.api, host: '127.0.0.1', port: 0, ops: { ...base.api.ops, port: 0 } },
    ari: {
      ...base.ari,
      requestTimeoutMs: 500,
      username: a.username,
      password: a.password,
      servers: [
        { name: 'pbx-a', url: a.url },
        { name: 'pbx-b', url: b.url, username: b.username, password: b.password },
      ],
    },
    evidence: { ...base.evidence, pepper: 'test-pepper-0123456789abcdef0123456789' },
    // Recordings follow one Asterisk (its AMI and spool): off when one instance serves several.
    recordings: { ...base.recordings, enabled: false },
  };
  const { logger, lines } = captureLogger();
  const service: Service = await startService({ config, log: logger, createAri: realAri, loadPrompts: (dir) => loadPromptCatalog(dir) });
  await a.waitFor(() => a.appConnected(), { what: 'pbx-a connecting' });
  await b.waitFor(() => b.appConnected(), { what: 'pbx-b connecting' });
  let bClosed = false;
  return {
    a,
    b,
    service,
    logs: lines,
    async closeB() {
      bClosed = true;
      await b.close();
    },
    async stop() {
      await service.stop();
      await a.close();
      if (!bClosed) await b.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const ariGauge = async (service: Service) =>
  (await service.metrics.registry.getSingleMetric('consentline_ari_connected')!.get()).values.map((v) => [v.labels.server, v.value]);

let s: Awaited<ReturnType<typeof startTwoServers>> | null = null;
afterEach(async () => {
  await s?.stop();
  s = null;
});

describe('several Asterisk servers', () => {
  it('each server gets its own link; a call’s evidence names the server it came from, even when channel ids collide', async () => {
    s = await startTwoServers();
    await s.a.waitFor(() => s!.service.calls.status().down.length === 0, { what: 'both links up' });
    expect(s.service.calls.status()).toEqual({ up: ['pbx-a', 'pbx-b'], down: [] });
    // Two Asterisk servers can hand over channels with the same id: they must stay two calls.
    const onA = s.a.originate({ channelId: '1700000000.1', callerNumber: '+48600100200', exten: '221234567', script: [pressAfter(MENU, '1', 20)] });
    const onB = s.b.originate({ channelId: '1700000000.1', callerNumber: '+48600100300', exten: '221234567', script: [pressAfter(MENU, '9', 20)] });
    const [outA, outB] = await Promise.all([onA.outcome(), onB.outcome()]);
    await s.service.calls.drain();
    expect(outA).toMatchObject({ kind: 'continued' });
    expect(outB).toMatchObject({ kind: 'continued' });
    expect(onA.variables().CONSENT_RECORDING).toBe('yes');
    expect(onB.variables().CONSENT_RECORDING).toBe('no');

    const started = [];
    for await (const e of s.service.store.events()) if (e.kind === 'call.started') started.push(e);
    expect(started.map((e) => e.data.server).sort()).toEqual(['pbx-a', 'pbx-b']);
    const callOfA = started.find((e) => e.data.server === 'pbx-a')!;
    const callOfB = started.find((e) => e.data.server === 'pbx-b')!;
    expect(callOfA.callId).not.toBe(callOfB.callId);
    expect(onA.variables().CONSENT_ID).toBe(callOfA.callId);
    expect(onB.variables().CONSENT_ID).toBe(callOfB.callId);
    expect((await s.service.store.callEvents(callOfB.callId!)).map((e) => e.kind)).toContain('objection.made');
    expect(await ariGauge(s.service)).toEqual([
      ['pbx-a', 1],
      ['pbx-b', 1],
    ]);
  });

  it('one server going away touches only its own calls: the other server’s call goes on and is recorded', async () => {
    s = await startTwoServers({ playbackMs: { 'consentline/notice': 600 } });
    // Distinct ids: the two emulators would otherwise number their channels alike, and the ledger look-up below goes by channel id.
    const onA = s.a.originate({ channelId: 'a-1', callerNumber: '+48600100200', exten: '221234567', script: [pressAfter(MENU, '1', 20)] });
    s.b.originate({ channelId: 'b-1', callerNumber: '+48600100300', exten: '221234567' });
    await s.a.waitFor(() => s!.service.calls.activeCalls === 2, { what: 'both calls in the flow' });
    // pbx-b dies mid-notice (its HTTP and WebSocket gone); pbx-a's caller is still hearing the notice.
    await s.closeB();
    const outA = await onA.outcome();
    expect(outA).toMatchObject({ kind: 'continued' });
    expect(onA.variables().CONSENT_RECORDING).toBe('yes');
    const eventsA = await eventsOfChannel(s.service, onA.id);
    expect(eventsA[0]!.data).toMatchObject({ server: 'pbx-a' });
    expect(eventsA.map((e) => e.kind)).not.toContain('call.failed');

    await s.a.waitFor(() => s!.service.calls.status().down.includes('pbx-b'), { what: 'pbx-b reported down' });
    expect(s.service.calls.status()).toEqual({ up: ['pbx-a'], down: ['pbx-b'] });
    expect(await ariGauge(s.service)).toEqual([
      ['pbx-a', 1],
      ['pbx-b', 0],
    ]);
    expect(s.logs.some((l) => l.server === 'pbx-b' && /disconnected/i.test(String(l.msg)))).toBe(true);
    // pbx-a keeps taking new calls while pbx-b is gone.
    const next = s.a.originate({ callerNumber: '+48600100400', exten: '221234567', script: [pressAfter(MENU, '1', 20)] });
    expect(await next.outcome()).toMatchObject({ kind: 'continued' });
    expect(next.variables().CONSENT_RECORDING).toBe('yes');
  });
});
