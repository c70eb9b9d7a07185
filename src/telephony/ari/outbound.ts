import { randomUUID, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AriListenConfig } from '../../config/tls-schema.js';
import type { Logger } from '../../shared/log.js';
import type { AriLinkHooks } from './connection.js';
import type { RawAriEvent } from './events.js';
import { AriRequestError } from './port.js';
import { queryString, refusedOrAnswer, type AriRestAnswer, type AriRestCall } from './rest.js';

export interface AriOutboundOptions {
  readonly listen: AriListenConfig;
  /** What Asterisk sends as Basic auth (websocket_client.conf `username`/`password`). */
  readonly username: string;
  readonly password: string;
  readonly timeoutMs: number;
  readonly logger: Logger;
}

interface RestResponse {
  readonly type: 'RESTResponse';
  readonly request_id?: string;
  readonly status_code?: number;
  readonly content_type?: string;
  readonly message_body?: string;
}

interface Pending {
  readonly resolve: (a: AriRestAnswer) => void;
  readonly reject: (e: AriRequestError) => void;
  readonly operation: string;
  readonly timer: NodeJS.Timeout;
}

/**
 * Asterisk 22's outbound ARI WebSocket, seen from the service: ConsentLine listens, Asterisk
 * (res_websocket_client, an ari.conf `outbound_websocket` of type persistent) connects with Basic
 * auth and subprotocol `ari`, and sends the app's events. REST requests go back over the same
 * socket as `RESTRequest` messages, answered by `RESTResponse` with the same `request_id`
 * (res/ari/ari_websocket_requests.c), so the service never needs to reach Asterisk's HTTP server.
 * One Asterisk at a time: a new authenticated connection replaces the old one (Asterisk reconnecting
 * before the old socket timed out).
 */
export class AriOutboundServer {
  readonly #o: AriOutboundOptions;
  readonly #expectedAuth: Buffer;
  readonly #wss = new WebSocketServer({ noServer: true, handleProtocols: (p) => (p.has('ari') ? 'ari' : false) });
  readonly #pending = new Map<string, Pending>();
  #server: Server | null = null;
  #socket: WebSocket | null = null;
  #hooks: AriLinkHooks | null = null;
  #everUp = false;
  #closed = false;
  #firstUp: (() => void) | null = null;
  #turn: Promise<unknown> = Promise.resolve();

  constructor(opts: AriOutboundOptions) {
    this.#o = opts;
    this.#expectedAuth = Buffer.from(`Basic ${Buffer.from(`${opts.username}:${opts.password}`).toString('base64')}`);
  }

  get up(): boolean {
    return this.#socket !== null;
  }

  /** The port listened on (after start; useful with port 0 in tests). */
  get port(): number {
    const addr = this.#server?.address();
    return addr && typeof addr === 'object' ? addr.port : 0;
  }

  /** Listens; resolves once Asterisk first connects (or on close). Rejects when the port cannot be bound. */
  async start(hooks: AriLinkHooks): Promise<void> {
    if (this.#hooks) throw new Error('AriOutboundServer already started');
    this.#hooks = hooks;
    const { host, port, path, tls } = this.#o.listen;
    const server = tls
      ? createHttpsServer({ cert: readFileSync(tls.cert), key: readFileSync(tls.key) })
      : createHttpServer();
    server.on('request', (_req, res) => res.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' }).end('WebSocket only\n'));
    server.on('upgrade', (req, socket, head) => this.#onUpgrade(req, socket, head));
    this.#server = server;
    const firstUp = new Promise<void>((resolve) => (this.#firstUp = resolve));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const scheme = tls ? 'wss' : 'ws';
    this.#o.logger.info({ listen: `${scheme}://${host}:${this.port}${path}` }, "ARI: waiting for Asterisk's outbound WebSocket");
    return firstUp;
  }

  #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined);
    const refuse = (status: string, extra = ''): void => {
      socket.end(`HTTP/1.1 ${status}\r\n${extra}Connection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    const path = (req.url ?? '').split('?', 1)[0];
    if (this.#closed) return refuse('503 Service Unavailable');
    if (path !== this.#o.listen.path) return refuse('404 Not Found');
    const given = Buffer.from(req.headers.authorization ?? '');
    if (given.length !== this.#expectedAuth.length || !timingSafeEqual(given, this.#expectedAuth)) {
      this.#o.logger.warn({ remote: req.socket.remoteAddress }, 'ARI: outbound WebSocket refused: wrong or missing credentials (websocket_client.conf username/password)');
      return refuse('401 Unauthorized', 'WWW-Authenticate: Basic realm="ConsentLine"\r\n');
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#attach(ws, req.socket.remoteAddress ?? ''));
  }

  #attach(ws: WebSocket, remote: string): void {
    const previous = this.#socket;
    this.#socket = ws;
    if (previous) {
      this.#failPending('replaced by a new connection from Asterisk');
      previous.close(1000, 'replaced');
    }
    const reconnect = this.#everUp;
    this.#everUp = true;
    this.#o.logger.info({ remote, reconnect }, "ARI: Asterisk's outbound WebSocket connected");
    ws.on('message', (data) => this.#onMessage(String(data)));
    ws.on('error', () => undefined);
    ws.on('close', () => {
      if (this.#socket !== ws) return;
      this.#socket = null;
      this.#failPending('WebSocket closed');
      if (!this.#closed) this.#hooks?.onDown('Asterisk closed the outbound WebSocket');
    });
    this.#firstUp?.();
    this.#firstUp = null;
    if (!previous) this.#hooks?.onUp(reconnect);
  }

  #onMessage(text: string): void {
    let msg: RawAriEvent | RestResponse;
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    if (msg.type !== 'RESTResponse') {
      try {
        this.#hooks?.onEvent(msg as RawAriEvent);
      } catch (err) {
        this.#o.logger.error({ err: String(err), type: msg.type }, 'ARI: event handler failed');
      }
      return;
    }
    const r = msg as RestResponse;
    const p = r.request_id ? this.#pending.get(r.request_id) : undefined;
    if (!p) return;
    this.#pending.delete(r.request_id!);
    clearTimeout(p.timer);
    let body: unknown = null;
    if (r.message_body && (r.content_type ?? '').includes('json')) {
      try {
        body = JSON.parse(r.message_body);
      } catch {
        body = null;
      }
    }
    try {
      p.resolve(refusedOrAnswer(p.operation, { status: Number(r.status_code ?? 0), body }));
    } catch (err) {
      p.reject(err as AriRequestError);
    }
  }

  /**
   * One REST request over the WebSocket; rejects with AriRequestError (status 0: not connected,
   * closed or no answer in time). Over wss:// one request at a time: Asterisk 22.10.1 left the
   * second of two requests sent back to back unanswered on a TLS socket (seen on the real
   * Asterisk: setChannelVar timing out right after another request), never on a plain one.
   */
  call(c: AriRestCall): Promise<AriRestAnswer> {
    if (!this.#o.listen.tls) return this.#send(c);
    const turn = this.#turn.then(() => this.#send(c));
    this.#turn = turn.catch(() => undefined);
    return turn;
  }

  #send(c: AriRestCall): Promise<AriRestAnswer> {
    const ws = this.#socket;
    if (!ws) return Promise.reject(new AriRequestError(c.operation, 0, 'Asterisk is not connected (outbound WebSocket)'));
    const requestId = randomUUID();
    // Asterisk resolves the uri below /ari/ and stops at an empty segment: no leading slash.
    const uri = `${c.path.replace(/^\/+/, '')}${queryString(c.query)}`;
    return new Promise<AriRestAnswer>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.#pending.delete(requestId)) reject(new AriRequestError(c.operation, 0, `no answer within ${this.#o.timeoutMs} ms`));
      }, this.#o.timeoutMs);
      this.#pending.set(requestId, { resolve, reject, operation: c.operation, timer });
      ws.send(JSON.stringify({ type: 'RESTRequest', request_id: requestId, method: c.method, uri }), (err) => {
        if (!err || !this.#pending.delete(requestId)) return;
        clearTimeout(timer);
        reject(new AriRequestError(c.operation, 0, err.message));
      });
    });
  }

  #failPending(reason: string): void {
    for (const [id, p] of this.#pending) {
      clearTimeout(p.timer);
      p.reject(new AriRequestError(p.operation, 0, reason));
      this.#pending.delete(id);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#firstUp?.();
    this.#failPending('closed');
    this.#socket?.close(1001, 'service stopping');
    this.#socket = null;
    for (const ws of this.#wss.clients) ws.terminate();
    const server = this.#server;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }
}
