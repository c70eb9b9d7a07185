import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AriEmulator } from '../../emulators/ari/emulator.js';
import { AriAdapter } from '../../../src/telephony/ari/adapter.js';
import { AriRequestError } from '../../../src/telephony/ari/port.js';
import type { AriListenConfig } from '../../../src/config/tls-schema.js';
import { selfSignedCert, type SelfSigned } from '../../support/tls-cert.js';
import { captureLogger, channelTrail, recordApp, until } from './helpers.js';

const PATH = '/ari/consentline';

describe('outbound ARI WebSocket (ari.listen): Asterisk connects to ConsentLine', () => {
  let dir: string;
  let cert: SelfSigned;
  const cleanups: Array<() => Promise<void> | void> = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cl-ari-out-'));
    cert = await selfSignedCert(dir, 'consentline');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setup(listen: Partial<AriListenConfig> = {}) {
    const emu = await AriEmulator.start({ playbackMs: { notice: 50 }, knownContexts: ['consent-ok'] });
    cleanups.push(() => emu.close());
    const cap = captureLogger();
    const ari = new AriAdapter({
      url: 'http://192.0.2.1:1', // never used in listen mode
      username: 'asterisk-out',
      password: 's3cret',
      app: emu.app,
      requestTimeoutMs: 1000,
      logger: cap.logger,
      listen: { host: '127.0.0.1', port: 0, path: PATH, ...listen },
    });
    cleanups.push(() => ari.close());
    const rec = recordApp();
    const started = ari.start(rec.events);
    await until(() => cap.lines.some((l) => l.msg === "ARI: waiting for Asterisk's outbound WebSocket"), 'listening');
    const where = String(cap.lines.find((l) => l.msg === "ARI: waiting for Asterisk's outbound WebSocket")?.listen);
    return { emu, ari, rec, started, lines: cap.lines, where };
  }

  it('receives the events and sends its REST requests back over the same socket', async () => {
    const { emu, ari, rec, started, where } = await setup();
    expect(where).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/ari\/consentline$/);
    expect(ari.connected).toBe(false);
    await expect(ari.answer('x')).rejects.toMatchObject({ status: 0 });
    const asterisk = emu.connectOutbound({ url: where, username: 'asterisk-out', password: 's3cret', reconnectMs: 50 });
    cleanups.push(() => asterisk.close());
    await Promise.all([started, asterisk.connected()]);
    expect(ari.connected).toBe(true);
    expect(rec.log).toEqual([{ kind: 'connected', reconnect: false }]);

    const call = emu.originate({ exten: '221' });
    await until(() => rec.log.some((r) => r.kind === 'start'), 'StasisStart');
    await ari.answer(call.id);
    await ari.play(call.id, 'pb-1', 'sound:notice', 'en');
    await until(() => channelTrail(rec.log, call.id).includes('PlaybackFinished:done'), 'notice done');
    await ari.setVariable(call.id, 'CONSENT_RECORDING', 'yes');
    expect(await ari.getChannel(call.id)).toMatchObject({ id: call.id, state: 'Up' });
    expect(await ari.listAppChannels()).toEqual([call.id]);
    await ari.continueInDialplan(call.id, { context: 'consent-ok', extension: 's', priority: 1 });
    expect(await call.outcome()).toMatchObject({ kind: 'continued', target: { context: 'consent-ok' }, dropped: false });
    expect(call.variables()).toEqual({ CONSENT_RECORDING: 'yes' });
    // Refusals come back with Asterisk's status, as over HTTP.
    const err = await ari.answer('no-such-channel').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AriRequestError);
    expect((err as AriRequestError).gone).toBe(true);
    expect(emu.requests.map((r) => `${r.method} ${r.path.replace(call.id, 'ID')}`)).toEqual([
      'POST /channels/ID/answer',
      'POST /channels/ID/play',
      'POST /channels/ID/variable',
      'GET /channels/ID',
      'GET /applications/consentline',
      'POST /channels/ID/continue',
      'POST /channels/no-such-channel/answer',
    ]);
  });

  it('refuses wrong credentials and other paths; Asterisk keeps retrying until it gets them right', async () => {
    const { emu, ari, started, where, lines } = await setup();
    const wrong = emu.connectOutbound({ url: where, username: 'asterisk-out', password: 'nope', reconnectMs: 30 });
    cleanups.push(() => wrong.close());
    const elsewhere = emu.connectOutbound({ url: where.replace(PATH, '/other'), username: 'asterisk-out', password: 's3cret', reconnectMs: 30 });
    cleanups.push(() => elsewhere.close());
    await until(() => wrong.refusals.length >= 2 && elsewhere.refusals.length >= 1, 'refusals');
    expect(new Set(wrong.refusals)).toEqual(new Set([401]));
    expect(elsewhere.refusals[0]).toBe(404);
    expect(ari.connected).toBe(false);
    expect(JSON.stringify(lines)).not.toContain('nope');
    wrong.close();
    elsewhere.close();
    const right = emu.connectOutbound({ url: where, username: 'asterisk-out', password: 's3cret' });
    cleanups.push(() => right.close());
    await started;
    expect(ari.connected).toBe(true);
  });

  it('a dropped socket fails the requests in flight at once, reports down, and Asterisk reconnecting is a reconnect', async () => {
    const { emu, ari, rec, started, where } = await setup();
    const asterisk = emu.connectOutbound({ url: where, username: 'asterisk-out', password: 's3cret', reconnectMs: 50 });
    cleanups.push(() => asterisk.close());
    await Promise.all([started, asterisk.connected()]);
    const call = emu.originate();
    await until(() => rec.log.some((r) => r.kind === 'start'), 'StasisStart');
    asterisk.drop();
    await until(() => rec.log.some((r) => r.kind === 'disconnected'), 'down');
    await expect(ari.answer(call.id)).rejects.toMatchObject({ status: 0 });
    await until(() => rec.log.filter((r) => r.kind === 'connected').length === 2, 'reconnected');
    expect(rec.log.filter((r) => r.kind === 'connected')).toEqual([
      { kind: 'connected', reconnect: false },
      { kind: 'connected', reconnect: true },
    ]);
    expect(await ari.listAppChannels()).toEqual([call.id]);
    await ari.answer(call.id);
  });

  it('serves wss:// with ari.listen.tls; Asterisk checks it against its ca_list_file', async () => {
    const { emu, ari, started, where } = await setup({ tls: { cert: cert.certFile, key: cert.keyFile } });
    expect(where).toMatch(/^wss:\/\//);
    const asterisk = emu.connectOutbound({ url: where, username: 'asterisk-out', password: 's3cret', ca: cert.cert });
    cleanups.push(() => asterisk.close());
    await Promise.all([started, asterisk.connected()]);
    const call = emu.originate();
    expect(await ari.listAppChannels()).toEqual([call.id]);
    await ari.hangup(call.id);
    expect(await call.outcome()).toMatchObject({ kind: 'hungup' });
  });
});
