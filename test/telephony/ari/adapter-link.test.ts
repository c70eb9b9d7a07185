import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AriEmulator } from '../../emulators/ari/emulator.js';
import { AriAdapter, type AriAdapterOptions } from '../../../src/telephony/ari/adapter.js';
import type { AriEventsClient } from '../../../src/telephony/ari/connection.js';
import { wsEventsConnector } from '../../../src/telephony/ari/ws-events.js';
import { captureLogger, channelTrail, recordApp, until } from './helpers.js';

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('AriAdapter link: connect, drop, reconnect', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  function adapter(emuUrl: string, extra: Partial<AriAdapterOptions> = {}) {
    const cap = captureLogger();
    const ari = new AriAdapter({
      url: emuUrl,
      username: 'asterisk',
      password: 'asterisk',
      app: 'consentline',
      requestTimeoutMs: 500,
      logger: cap.logger,
      retry: { initialDelayMs: 40, maxDelayMs: 200 },
      ...extra,
    });
    cleanups.push(() => ari.close());
    return { ari, lines: cap.lines };
  }

  it('keeps retrying while nothing listens, logging each attempt, then connects', async () => {
    const port = await freePort();
    const { ari, lines } = adapter(`http://127.0.0.1:${port}`);
    const rec = recordApp();
    const started = ari.start(rec.events);
    await until(() => lines.filter((l) => l.msg === 'ARI: Asterisk not reachable, retrying').length >= 3, 'three failed attempts');
    expect(ari.connected).toBe(false);
    const failed = lines.filter((l) => l.msg === 'ARI: Asterisk not reachable, retrying');
    expect(failed.slice(0, 3).map((l) => l.attempt)).toEqual([1, 2, 3]);
    expect(failed[0]).toMatchObject({ level: 40, err: expect.stringContaining('ECONNREFUSED'), component: 'ari' });

    const emu = await AriEmulator.start({ port });
    cleanups.push(() => emu.close());
    await started;
    expect(ari.connected).toBe(true);
    expect(rec.log).toEqual([{ kind: 'connected', reconnect: false }]);
  });

  it('after a WebSocket drop: reconnects, reports onConnected(true), lost events stay lost', async () => {
    const emu = await AriEmulator.start();
    cleanups.push(() => emu.close());
    const { ari } = adapter(emu.url);
    const rec = recordApp();
    await ari.start(rec.events);
    const call = emu.originate();
    await until(() => rec.log.some((r) => r.kind === 'start'), 'StasisStart');

    emu.dropWebSocket({ refuseReconnectMs: 150 });
    await until(() => rec.log.some((r) => r.kind === 'disconnected'), 'disconnected');
    expect(ari.connected).toBe(false);
    call.dtmf('5'); // nobody listens: dropped, as on Asterisk
    await until(() => rec.log.filter((r) => r.kind === 'connected').length === 2, 'reconnected', 5000);
    expect(rec.log.filter((r) => r.kind === 'connected')).toEqual([
      { kind: 'connected', reconnect: false },
      { kind: 'connected', reconnect: true },
    ]);
    expect(await ari.listAppChannels()).toEqual([call.id]);

    call.dtmf('6');
    await until(() => channelTrail(rec.log, call.id).includes('Dtmf:6'), 'dtmf after reconnect');
    expect(channelTrail(rec.log, call.id)).toEqual(['Dtmf:6']);
    expect(rec.log.filter((r) => r.kind === 'start')).toHaveLength(1);
  });

  it('starts over with a fresh events client after a drop, with backoff; the abandoned client never comes back', async () => {
    const emu = await AriEmulator.start();
    cleanups.push(() => emu.close());
    const clients: AriEventsClient[] = [];
    const connect = wsEventsConnector(undefined);
    const { ari, lines } = adapter(emu.url, {
      connectClient: async (...a) => {
        const c = await connect(...a);
        clients.push(c);
        return c;
      },
    });
    const rec = recordApp();
    await ari.start(rec.events);
    emu.dropWebSocket({ refuseReconnectMs: 250 });
    await until(() => rec.log.some((r) => r.kind === 'disconnected'), 'disconnected');
    await until(() => rec.log.filter((r) => r.kind === 'connected').length === 2, 'reconnected', 5000);
    // Refused for 250 ms: at least one more client failed its upgrade before the one that connected.
    expect(clients.length).toBeGreaterThanOrEqual(3);
    expect(rec.log.at(-1)).toEqual({ kind: 'connected', reconnect: true });
    expect(lines.some((l) => l.msg === 'ARI: WebSocket given up, reconnecting with a fresh client')).toBe(true);
    // A late 'WebSocketConnected' of the first client must not count: it was disposed of.
    (clients[0] as unknown as { emit(e: string): void }).emit('WebSocketConnected');
    await new Promise((r) => setTimeout(r, 400));
    expect(rec.log.filter((r) => r.kind === 'connected')).toHaveLength(2);
  });

  it('with wrong credentials keeps retrying without crashing, and says the credentials are wrong (not "not reachable")', async () => {
    const emu = await AriEmulator.start({ password: 'right' });
    cleanups.push(() => emu.close());
    const { ari, lines } = adapter(emu.url, { password: 'Secr3t-4711' });
    void ari.start(recordApp().events);
    const rejected = () => lines.filter((l) => String(l.msg).startsWith('ARI: wrong credentials'));
    await until(() => rejected().length >= 2, 'two attempts');
    expect(ari.connected).toBe(false);
    expect(lines.some((l) => l.msg === 'ARI: Asterisk not reachable, retrying')).toBe(false);
    expect(rejected()[0]).toMatchObject({ level: 50, username: 'asterisk', err: expect.stringContaining('401') });
    expect(String(rejected()[0]!.msg)).toContain('username/password');
    // The password itself never reaches the log.
    expect(JSON.stringify(lines)).not.toContain('Secr3t-4711');
  });

  it('close() while connecting stops the loop', async () => {
    const port = await freePort();
    const { ari, lines } = adapter(`http://127.0.0.1:${port}`);
    const started = ari.start(recordApp().events);
    await until(() => lines.some((l) => l.msg === 'ARI: Asterisk not reachable, retrying'), 'one attempt');
    await ari.close();
    await started;
    const n = lines.length;
    await new Promise((r) => setTimeout(r, 150));
    expect(lines.length).toBe(n);
  });
});
