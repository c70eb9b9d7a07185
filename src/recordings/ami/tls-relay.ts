/**
 * AMI over TLS for asterisk-manager, which opens its socket with `net.createConnection` and takes
 * no stream of ours: the TLS session to Asterisk is opened (and its certificate checked) first,
 * then bridged to a one-shot listener on loopback that the library connects to. The listener
 * accepts exactly one connection and closes; both sockets end together.
 */
import { createServer, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { TlsClientOptions } from '../../config/tls.js';

export interface TlsRelay {
  /** Loopback port that leads to the TLS session. */
  readonly port: number;
  close(): void;
}

/** Opens the TLS session to `host:port`; rejects with the handshake's error (certificate refused, unreachable, timeout). */
export async function openTlsRelay(host: string, port: number, tls: TlsClientOptions, timeoutMs: number): Promise<TlsRelay> {
  const remote = await new Promise<Socket>((resolve, reject) => {
    const s = tlsConnect({ host, port, ...tls, servername: tls.servername ?? (isIP(host) ? undefined : host) });
    const timer = setTimeout(() => s.destroy(new Error(`no TLS handshake within ${timeoutMs} ms`)), timeoutMs);
    s.once('secureConnect', () => {
      clearTimeout(timer);
      s.pause();
      resolve(s);
    });
    s.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
  const server = createServer((local) => {
    server.close();
    local.on('error', () => remote.destroy());
    remote.on('error', () => local.destroy());
    local.on('close', () => remote.destroy());
    remote.on('close', () => local.destroy());
    local.pipe(remote);
    remote.pipe(local);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  return {
    port: address && typeof address === 'object' ? address.port : 0,
    close() {
      server.close();
      remote.destroy();
    },
  };
}
