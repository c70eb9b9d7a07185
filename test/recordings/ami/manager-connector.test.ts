/** The asterisk-manager adapter: message normalisation, and every action settles whatever the PBX does. */
import net from 'node:net';
import { afterEach, expect, test } from 'vitest';
import { createManagerConnector, normalizeAmiMessage } from '../../../src/recordings/ami/manager-connector.js';
import type { AmiFields } from '../../../src/recordings/ami/port.js';
import { AmiEmulator } from '../../emulators/ami/index.js';
import { until } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

test('normalizeAmiMessage flattens the library shapes: variable object, repeated keys', () => {
  expect(
    normalizeAmiMessage({
      event: 'VarSet',
      variable: { MIXMONITOR_FILENAME: '' },
      value: '/srv/pbx/monitor/a.wav',
      uniqueid: ['u1', 'u2'],
    }),
  ).toEqual({ event: 'VarSet', variable: 'MIXMONITOR_FILENAME', value: '/srv/pbx/monitor/a.wav', uniqueid: 'u1' });
  expect(normalizeAmiMessage({ variable: { A: 'b=c' } })).toEqual({ variable: 'A=b=c' });
  expect(normalizeAmiMessage(undefined)).toEqual({});
});

test('a PBX that accepts TCP but never answers the login: "unreachable" after the timeout', async () => {
  const sockets: net.Socket[] = [];
  const silent = net.createServer((s) => {
    sockets.push(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        silent.close(() => r());
      }),
  );
  const port = (silent.address() as net.AddressInfo).port;
  const outcome = await createManagerConnector().connect(
    { host: '127.0.0.1', port, username: 'u', secret: 's', timeoutMs: 100 },
    { onEvent: () => undefined, onClose: () => undefined },
  );
  expect(outcome).toEqual({ status: 'unreachable', message: 'no login answer within 100 ms' });
});

test('actions pending when the connection drops settle as not-connected; onClose reports it', async () => {
  const emu = await AmiEmulator.start({ users: [{ username: 'u', secret: 's', read: ['call'], write: ['all'] }] });
  cleanups.push(() => emu.stop());
  const events: AmiFields[] = [];
  let closed = '';
  const outcome = await createManagerConnector().connect(
    { host: emu.host, port: emu.port, username: 'u', secret: 's', timeoutMs: 1000 },
    { onEvent: (e) => events.push(e), onClose: (r) => (closed = r) },
  );
  if (outcome.status !== 'ok') throw new Error(outcome.status);
  cleanups.push(() => outcome.session.close());
  // Ping is answered; then a drop before the second action's answer.
  expect(await outcome.session.action({ Action: 'Ping' }, 1000)).toMatchObject({ status: 'success', fields: { ping: 'Pong' } });
  emu.dropConnections();
  await until(() => closed !== '');
  expect(await outcome.session.action({ Action: 'Ping' }, 1000)).toEqual({ status: 'not-connected' });
});

test('an action nobody answers times out instead of hanging', async () => {
  // Answers the login, then stays silent.
  const server = net.createServer((s) => {
    s.on('error', () => undefined);
    s.write('Asterisk Call Manager/11.0.0\r\n');
    s.on('data', (d) => {
      const id = /ActionID: ([^\r\n]+)/i.exec(String(d))?.[1];
      if (/Action: login/i.test(String(d)) && id) s.write(`Response: Success\r\nActionID: ${id}\r\nMessage: Authentication accepted\r\n\r\n`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const sockets: net.Socket[] = [];
  server.on('connection', (s) => sockets.push(s));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  const port = (server.address() as net.AddressInfo).port;
  const outcome = await createManagerConnector().connect(
    { host: '127.0.0.1', port, username: 'u', secret: 's', timeoutMs: 1000 },
    { onEvent: () => undefined, onClose: () => undefined },
  );
  if (outcome.status !== 'ok') throw new Error(outcome.status);
  cleanups.push(() => outcome.session.close());
  expect(await outcome.session.action({ Action: 'Getvar', Channel: 'x', Variable: 'Y' }, 50)).toEqual({ status: 'timeout' });
});
