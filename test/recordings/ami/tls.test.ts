/** AMI over TLS (recordings.ami.tls): the asterisk-manager adapter through its TLS relay. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { createManagerConnector } from '../../../src/recordings/ami/manager-connector.js';
import type { AmiFields } from '../../../src/recordings/ami/port.js';
import { AmiEmulator } from '../../emulators/ami/index.js';
import { selfSignedCert, type SelfSigned } from '../../support/tls-cert.js';
import { until } from './helpers.js';

let dir: string;
let cert: SelfSigned;
let stranger: SelfSigned;
const cleanups: (() => Promise<void> | void)[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cl-ami-tls-'));
  cert = await selfSignedCert(dir, 'asterisk');
  stranger = await selfSignedCert(dir, 'someone-else');
});
afterAll(() => rm(dir, { recursive: true, force: true }));
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function tlsEmulator(): Promise<AmiEmulator> {
  const emu = await AmiEmulator.start({ users: [{ username: 'u', secret: 's', read: ['call', 'dialplan'], write: ['all'] }], tls: { cert: cert.cert, key: cert.key }, authFailDelayMs: 10 });
  cleanups.push(() => emu.stop());
  return emu;
}

test('logs in, runs actions and receives events over TLS when the CA is trusted', async () => {
  const emu = await tlsEmulator();
  const events: AmiFields[] = [];
  let closed = '';
  const outcome = await createManagerConnector().connect(
    { host: emu.host, port: emu.port, username: 'u', secret: 's', timeoutMs: 2000, tls: { ca: cert.cert, rejectUnauthorized: true } },
    { onEvent: (e) => events.push(e), onClose: (r) => (closed = r) },
  );
  if (outcome.status !== 'ok') throw new Error(`${outcome.status}: ${'message' in outcome ? outcome.message : ''}`);
  cleanups.push(() => outcome.session.close());
  expect(await outcome.session.action({ Action: 'Ping' }, 1000)).toMatchObject({ status: 'success', fields: { ping: 'Pong' } });
  const ch = emu.addChannel({ channel: 'PJSIP/100-00000001', uniqueid: '1700000000.1' });
  emu.setVar(ch, 'CONSENT_RECORDING', 'yes');
  await until(() => events.some((e) => e.event === 'VarSet' && e.value === 'yes'));
  emu.dropConnections();
  await until(() => closed !== '');
});

test('a certificate the CA did not sign: unreachable with the TLS reason, no login sent', async () => {
  const emu = await tlsEmulator();
  const outcome = await createManagerConnector().connect(
    { host: emu.host, port: emu.port, username: 'u', secret: 's', timeoutMs: 2000, tls: { ca: stranger.cert, rejectUnauthorized: true } },
    { onEvent: () => undefined, onClose: () => undefined },
  );
  expect(outcome).toMatchObject({ status: 'unreachable', message: expect.stringMatching(/^TLS: .*(self.signed|certificate)/i) });
  expect(emu.loginAttempts).toBe(0);
});

test('a wrong secret over TLS is still auth-failed, not unreachable', async () => {
  const emu = await tlsEmulator();
  const outcome = await createManagerConnector().connect(
    { host: emu.host, port: emu.port, username: 'u', secret: 'wrong', timeoutMs: 3000, tls: { ca: cert.cert } },
    { onEvent: () => undefined, onClose: () => undefined },
  );
  expect(outcome.status).toBe('auth-failed');
});

test('plain AMI against a TLS port never logs in (the reason to configure tls)', async () => {
  const emu = await tlsEmulator();
  const outcome = await createManagerConnector().connect(
    { host: emu.host, port: emu.port, username: 'u', secret: 's', timeoutMs: 300 },
    { onEvent: () => undefined, onClose: () => undefined },
  );
  expect(outcome.status).toBe('unreachable');
  expect(emu.loginAttempts).toBe(0);
});
