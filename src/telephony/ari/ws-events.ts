import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import type { TlsClientOptions } from '../../config/tls.js';
import type { AriEventsConnector, AriEventsClient } from './connection.js';

/**
 * The events WebSocket (`/ari/events?app=…`) over `ws`, ws:// or wss:// (with the TLS options).
 * It replaced ari-client, which loaded the API documents through swagger-client on every connect,
 * rebuilt resource objects with every operation bound for each event, and passed no TLS options.
 * It emits what the link uses: `*` per event (the parsed JSON), `WebSocketConnected`, and
 * `WebSocketMaxRetries` once the socket is gone (the link then starts over with backoff).
 */
export function wsEventsConnector(tls: TlsClientOptions | undefined, handshakeTimeoutMs = 10_000): AriEventsConnector {
  return async (url, username, password) => new WsEventsClient(url, username, password, tls, handshakeTimeoutMs);
}

class WsEventsClient extends EventEmitter implements AriEventsClient {
  #ws: WebSocket | null = null;

  constructor(
    readonly url: string,
    readonly username: string,
    readonly password: string,
    readonly tls: TlsClientOptions | undefined,
    readonly handshakeTimeoutMs: number,
  ) {
    super();
  }

  start(app: string): Promise<void> {
    const u = new URL(this.url);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    u.pathname = `${u.pathname.replace(/\/+$/, '')}/ari/events`;
    u.search = new URLSearchParams({ app }).toString();
    const authorization = `Basic ${Buffer.from(`${this.username}:${this.password}`).toString('base64')}`;
    return new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(u, { headers: { authorization }, handshakeTimeout: this.handshakeTimeoutMs, ...this.tls });
      this.#ws = ws;
      let open = false;
      ws.on('open', () => {
        open = true;
        resolve();
        this.emit('WebSocketConnected');
      });
      ws.on('message', (data) => {
        let event: unknown;
        try {
          event = JSON.parse(String(data));
        } catch {
          return;
        }
        if (event && typeof event === 'object') this.emit('*', event);
      });
      ws.on('unexpected-response', (_req, res) => {
        const err = Object.assign(new Error(`events WebSocket refused: HTTP ${res.statusCode}`), { status: res.statusCode });
        ws.terminate();
        reject(err);
      });
      ws.on('error', (err) => {
        if (!open) reject(err);
      });
      ws.on('close', () => {
        if (open) this.emit('WebSocketMaxRetries', new Error('events WebSocket closed'));
      });
    });
  }

  stop(): void {
    this.#ws?.terminate();
    this.#ws = null;
  }
}
