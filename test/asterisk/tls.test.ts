/**
 * ARI over https/wss and AMI over TLS against a real Asterisk 22: the shipped http.conf and
 * manager.conf with their TLS listeners switched on (test-only additions in tls-stubs/), a
 * self-signed certificate made here, and ConsentLine told only the TLS ports and the CA.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedCert } from '../support/tls-cert.js';
import { freeTcpPort } from './harness/ports.js';
import { DID, startRig, until, type Rig } from './setup.js';
import { appendStub } from './tls-stubs/fill.js';

let rig: Rig;
let certDir: string;
let httpsPort: number;
let amiTlsPort: number;

beforeAll(async () => {
  certDir = await mkdtemp(join(tmpdir(), 'consentline-asterisk-tls-'));
  const cert = await selfSignedCert(certDir, 'asterisk');
  [httpsPort, amiTlsPort] = [await freeTcpPort(), await freeTcpPort()];
  const files = { CERT: cert.certFile, KEY: cert.keyFile };
  rig = await startRig({
    customize: async (etc) => {
      await appendStub(etc, 'http.conf', 'http-tls.conf', { ...files, HTTPS_PORT: httpsPort });
      await appendStub(etc, 'manager.conf', 'manager-tls.conf', { ...files, AMI_TLS_PORT: amiTlsPort });
    },
    service: (_a, config) => {
      const recordings = config.recordings as { ami: Record<string, unknown> };
      return {
        config: {
          ...config,
          ari: { ...(config.ari as object), tls: { ca: cert.certFile } },
          recordings: { ...recordings, ami: { ...recordings.ami, port: amiTlsPort, tls: { ca: cert.certFile } } },
        },
        env: { CONSENTLINE_ARI_URL: `https://127.0.0.1:${httpsPort}` },
      };
    },
  });
}, 600_000);
afterAll(async () => {
  await rig?.close();
  await rm(certDir, { recursive: true, force: true });
}, 60_000);

describe.sequential('real Asterisk over TLS', () => {
  it('Asterisk serves ARI and AMI on the TLS ports from the shipped files plus the TLS lines', async () => {
    expect(await rig.asterisk.cli('http show status')).toMatch(new RegExp(`HTTPS Server Enabled and Bound to 127\\.0\\.0\\.1:${httpsPort}`));
    expect(await rig.asterisk.cli('manager show settings')).toMatch(new RegExp(`TLS Bindaddress:\\s+127\\.0\\.0\\.1:${amiTlsPort}`));
  });

  it('a call runs over https REST and the wss events socket; its recording arrives through AMI over TLS', async () => {
    const call = await rig.observer.call(DID.hotline, 'consentline-test-trunk');
    await call.finished(await call.prompt('menu'));
    await call.press('1');
    await call.reaches('consentline-after', 'MixMonitor', 20_000);
    const ended = await rig.ledger.ended(call.ivrId);
    expect(ended).toMatchObject({ outcome: 'continued', recording: 'yes', flowId: 'hotline' });
    expect(call.variables()).toMatchObject({ CONSENT_RECORDING: 'yes', CONSENT_ID: ended.callId });
    await call.gone(30_000);
    // The pipeline hears MixMonitorStop only on AMI, which it reaches on the TLS port alone.
    await until(() => rig.ledger.recordings(ended.callId).some((r) => r.state === 'done'), 60_000, 'the recording to be stored');
    const log = await readFile(rig.service.logFile, 'utf8');
    expect(log).toContain(`https://127.0.0.1:${httpsPort}`);
    expect(log).not.toMatch(/certificate|self.signed/i);
  });
});
