/**
 * Asterisk 22's outbound ARI WebSocket against a real Asterisk: websocket_client.conf and an ari.conf
 * `outbound_websocket` (test-only additions in tls-stubs/) make Asterisk connect to ConsentLine's
 * `ari.listen` over wss:// (Asterisk checks ConsentLine's certificate); ConsentLine is given no
 * reachable ARI URL, so every REST request goes back over that WebSocket.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedCert } from '../support/tls-cert.js';
import { freeTcpPort } from './harness/ports.js';
import { DID, startRig, type Rig } from './setup.js';
import { appendStub, writeStub } from './tls-stubs/fill.js';

const CONNECTED = "ARI: Asterisk's outbound WebSocket connected";
let rig: Rig;
let certDir: string;

async function logCount(line: string, logFile = rig.service.logFile): Promise<number> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l.includes(line)).length;
}

async function untilAsync(ok: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  const listenPort = await freeTcpPort();
  const wsPassword = randomBytes(12).toString('hex');
  certDir = await mkdtemp(join(tmpdir(), 'consentline-asterisk-wss-'));
  // Asterisk (main/tcptls.c) matches the certificate's common name against the uri's host.
  const cert = await selfSignedCert(certDir, 'consentline', '127.0.0.1');
  rig = await startRig({
    customize: async (etc) => {
      await appendStub(etc, 'ari.conf', 'ari-outbound.conf', { LOCAL_PASSWORD: randomBytes(12).toString('hex') });
      await writeStub(etc, 'websocket_client.conf', { LISTEN_PORT: listenPort, WS_PASSWORD: wsPassword, CA: cert.certFile });
    },
    service: (_a, config) => ({
      config: { ...config, ari: { ...(config.ari as object), listen: { host: '127.0.0.1', port: listenPort, path: '/ari/consentline', tls: { cert: cert.certFile, key: cert.keyFile } } } },
      // Nothing answers here: ConsentLine must not need Asterisk's HTTP server.
      env: { CONSENTLINE_ARI_URL: 'http://127.0.0.1:9', CONSENTLINE_ARI_USERNAME: 'consentline', CONSENTLINE_ARI_PASSWORD: wsPassword },
    }),
    // Asterisk registers the app from ari.conf at once; the service is up when Asterisk's socket is.
    ready: (service) => untilAsync(async () => (await logCount(CONNECTED, service.logFile)) >= 1, 30_000, 'Asterisk to connect'),
  });
}, 600_000);
afterAll(async () => {
  // Asterisk first, while its socket is up; then the service, whose stop() would wait for the app
  // to leave ARI, which in outbound mode it never does (ari.conf registers it).
  // (With the service already gone, 22.10.1 once kept retrying the connection after `core stop now`.)
  await rig?.asterisk.stop();
  await rig?.service.kill();
  await rig?.close();
  await rm(certDir, { recursive: true, force: true });
}, 120_000);

describe.sequential('real Asterisk, outbound ARI WebSocket (ari.listen)', () => {
  it('a call runs with its REST requests over the WebSocket Asterisk opened', async () => {
    const call = await rig.observer.call(DID.marketing, 'consentline-test-trunk');
    await call.finished(await call.prompt('menu'));
    await call.press('1');
    await call.reaches('consentline-after', 'MixMonitor', 30_000);
    const ended = await rig.ledger.ended(call.ivrId);
    expect(ended).toMatchObject({ outcome: 'continued', recording: 'yes', flowId: 'marketing' });
    expect(call.variables()).toMatchObject({ CONSENT_RECORDING: 'yes', CONSENT_ID: ended.callId });
    expect(call.played().slice(0, 2)).toEqual(['sound:consentline/notice', 'sound:consentline/menu']);
    await call.gone(30_000);
    const log = await readFile(rig.service.logFile, 'utf8');
    expect(log).not.toContain('ECONNREFUSED');
  });

  it('after a restart of the service Asterisk reconnects by itself and calls go on', async () => {
    const before = await logCount(CONNECTED);
    await rig.service.kill();
    await rig.service.start();
    await untilAsync(async () => (await logCount(CONNECTED)) > before, 30_000, 'Asterisk to reconnect');
    const call = await rig.observer.call(DID.hotline, 'consentline-test-trunk');
    await call.finished(await call.prompt('menu'));
    await call.press('9');
    const ended = await rig.ledger.ended(call.ivrId);
    expect(ended).toMatchObject({ outcome: 'objected', recording: 'no' });
    await call.gone(40_000);
  });

  it('while the service is away Stasis() does not fail: Asterisk queues the events, and the caller gets the notice once it is back', async () => {
    await rig.service.kill();
    const call = await rig.observer.call(DID.hotline, 'consentline-test-trunk');
    await call.reaches('consentline-inbound', 'Stasis', 20_000);
    await new Promise((r) => setTimeout(r, 2000));
    // No fallback: the app stays registered (ari.conf), so the caller waits in Stasis, hearing nothing.
    expect(call.dialplan().some((d) => d.startsWith('consentline-fallback'))).toBe(false);
    expect(call.played()).toEqual([]);
    const before = await logCount(CONNECTED);
    await rig.service.start();
    await untilAsync(async () => (await logCount(CONNECTED)) > before, 30_000, 'Asterisk to reconnect');
    // The queued StasisStart arrives on the new socket: the call runs from its notice, under one call id.
    await call.finished(await call.prompt('menu', 1, 30_000));
    await call.press('9');
    const ended = await rig.ledger.ended(call.ivrId, 60_000);
    expect(ended).toMatchObject({ outcome: 'objected', recording: 'no' });
    expect(rig.ledger.callIdsForChannel(call.ivrId)).toEqual([ended.callId]);
    expect(call.played().slice(0, 2)).toEqual(['sound:consentline/notice', 'sound:consentline/menu']);
    await call.gone(40_000);
  });
});
