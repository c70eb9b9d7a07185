import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AriEmulator } from '../../emulators/ari/emulator.js';
import { AriAdapter } from '../../../src/telephony/ari/adapter.js';
import { selfSignedCert, type SelfSigned } from '../../support/tls-cert.js';
import { captureLogger, channelTrail, recordApp, until } from './helpers.js';

describe('ARI over https:// and wss:// (ari.tls)', () => {
  let dir: string;
  let cert: SelfSigned;
  let stranger: SelfSigned;
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cl-ari-tls-'));
    cert = await selfSignedCert(dir, 'asterisk');
    stranger = await selfSignedCert(dir, 'someone-else');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setup(ca: string | undefined, rejectUnauthorized = true) {
    const emu = await AriEmulator.start({ tls: { cert: cert.cert, key: cert.key }, playbackMs: { notice: 50 }, knownContexts: ['consent-ok'] });
    cleanups.push(() => emu.close());
    const cap = captureLogger();
    const ari = new AriAdapter({
      url: emu.url,
      username: emu.username,
      password: emu.password,
      app: emu.app,
      requestTimeoutMs: 1000,
      logger: cap.logger,
      retry: { initialDelayMs: 30, maxDelayMs: 100 },
      tls: { ca, rejectUnauthorized },
    });
    cleanups.push(() => ari.close());
    return { emu, ari, lines: cap.lines };
  }

  it('runs a call over https REST and the wss events socket when the CA is trusted', async () => {
    const { emu, ari } = await setup(cert.cert);
    expect(emu.url).toMatch(/^https:/);
    const rec = recordApp();
    await ari.start(rec.events);
    expect(ari.connected).toBe(true);
    const call = emu.originate({ exten: '221' });
    await until(() => rec.log.some((r) => r.kind === 'start'), 'StasisStart over wss');
    await ari.answer(call.id);
    await ari.play(call.id, 'pb-1', 'sound:notice', 'en');
    await until(() => channelTrail(rec.log, call.id).includes('PlaybackFinished:done'), 'notice done');
    await ari.setVariable(call.id, 'CONSENT_RECORDING', 'yes');
    await ari.continueInDialplan(call.id, { context: 'consent-ok', extension: 's', priority: 1 });
    expect(await call.outcome()).toMatchObject({ kind: 'continued', dropped: false });
    expect(call.variables()).toEqual({ CONSENT_RECORDING: 'yes' });
    expect(await ari.listAppChannels()).toEqual([]);
  });

  it('refuses an Asterisk whose certificate the CA did not sign, and says why', async () => {
    const { emu, ari, lines } = await setup(stranger.cert);
    void ari.start(recordApp().events);
    await until(() => lines.filter((l) => l.msg === 'ARI: Asterisk not reachable, retrying').length >= 2, 'failed attempts');
    expect(ari.connected).toBe(false);
    expect(String(lines.find((l) => l.msg === 'ARI: Asterisk not reachable, retrying')?.err)).toMatch(/self.signed|certificate/i);
    expect(emu.appConnected()).toBe(false);
    expect(emu.requests).toEqual([]);
  });

  it('without a CA, Node refuses the self-signed certificate; rejectUnauthorized false accepts it', async () => {
    const strict = await setup(undefined);
    void strict.ari.start(recordApp().events);
    await until(() => strict.lines.some((l) => l.msg === 'ARI: Asterisk not reachable, retrying'), 'refused');
    expect(strict.ari.connected).toBe(false);

    const lax = await setup(undefined, false);
    await lax.ari.start(recordApp().events);
    expect(lax.ari.connected).toBe(true);
  });
});
