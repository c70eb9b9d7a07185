/**
 * The emulator's side of Asterisk 22's outbound ARI WebSocket (res_websocket_client with an ari.conf
 * `outbound_websocket`, connection type persistent): Asterisk is the WebSocket client. What it does,
 * from res/res_http_websocket.c and res/ari/ari_websocket_requests.c of 22.10.1:
 * - `GET /<path>` with `Authorization: Basic user:password` and `Sec-WebSocket-Protocol: ari`;
 * - the app's events as text frames, exactly as on /ari/events;
 * - `{"type":"RESTRequest","request_id","method","uri","query_strings":[{name,value}],"message_body","content_type"}`
 *   with `uri` below /ari/ without a leading slash (a query may follow `?`), answered by
 *   `{"type":"RESTResponse","transaction_id","request_id","status_code","reason_phrase","uri","content_type","message_body"}`;
 * - a file answer (a recording download) becomes 406 "Not Acceptable.  Use HTTP GET";
 * - persistent connections reconnect every `reconnect_interval` forever.
 */
import WebSocket from 'ws';
import type { RestAnswer } from './rest.js';

export interface OutboundOptions {
  /** websocket_client.conf `uri`, e.g. `ws://127.0.0.1:8765/ari/consentline`. */
  readonly url: string;
  readonly username?: string;
  readonly password?: string;
  /** ari.conf `apps`; default `consentline`. */
  readonly apps?: readonly string[];
  /** websocket_client.conf `ca_list_file` contents (PEM) for a wss:// uri. */
  readonly ca?: string;
  /** websocket_client.conf `reconnect_interval`; default 500 ms. */
  readonly reconnectMs?: number;
}

export interface SocketRestRequest {
  readonly method: string;
  /** Below /ari, with a leading slash, as the HTTP side logs it. */
  readonly path: string;
  readonly query: Record<string, string>;
  readonly body: unknown;
}

export interface OutboundClient {
  /** Resolves once the WebSocket is open (the first time, or again after a reconnect). */
  connected(): Promise<void>;
  /** Upgrade refusals seen (HTTP status of each). */
  readonly refusals: number[];
  /** Drops the current connection, as a network fault would; it reconnects. */
  drop(): void;
  close(): void;
}

interface Host {
  attach(apps: readonly string[], ws: WebSocket): void;
  rest(request: SocketRestRequest, reply: (answer: RestAnswer) => void): void;
}

const REASONS: Record<number, string> = { 200: 'OK', 204: 'No Content', 400: 'Bad Request', 404: 'Not Found', 406: 'Not Acceptable.  Use HTTP GET', 409: 'Conflict', 422: 'Unprocessable Entity' };

export function connectOutbound(o: OutboundOptions, host: Host): OutboundClient {
  const apps = o.apps ?? ['consentline'];
  const refusals: number[] = [];
  let ws: WebSocket | null = null;
  let closed = false;
  let waiters: (() => void)[] = [];
  const headers: Record<string, string> = {};
  if (o.username !== undefined) headers.authorization = `Basic ${Buffer.from(`${o.username}:${o.password ?? ''}`).toString('base64')}`;

  const open = (): void => {
    if (closed) return;
    const socket = new WebSocket(o.url, 'ari', { headers, ca: o.ca });
    ws = socket;
    socket.on('open', () => {
      host.attach(apps, socket);
      for (const w of waiters.splice(0)) w();
    });
    socket.on('unexpected-response', (_req, res) => {
      refusals.push(res.statusCode ?? 0);
      socket.terminate();
    });
    socket.on('message', (data) => onMessage(socket, String(data)));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (ws === socket) ws = null;
      if (!closed) setTimeout(open, o.reconnectMs ?? 500);
    });
  };

  const onMessage = (socket: WebSocket, text: string): void => {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    const uri = typeof msg.uri === 'string' ? msg.uri : '';
    const reply = (answer: RestAnswer): void => {
      let status = answer.status;
      let body = answer.body;
      if (answer.raw) {
        status = 406;
        body = undefined;
      }
      socket.send(
        JSON.stringify({
          type: 'RESTResponse',
          transaction_id: typeof msg.transaction_id === 'string' ? msg.transaction_id : '',
          request_id: typeof msg.request_id === 'string' ? msg.request_id : '',
          status_code: status,
          reason_phrase: REASONS[status] ?? 'Error',
          uri: uri.split('?', 1)[0],
          ...(body !== undefined ? { content_type: 'application/json', message_body: JSON.stringify(body) } : {}),
        }),
      );
    };
    if (msg.type !== 'RESTRequest') return reply({ status: 400, body: { message: 'Unknown request type.' } });
    if (!uri) return reply({ status: 400, body: { message: "Empty or missing 'uri' property." } });
    const method = typeof msg.method === 'string' ? msg.method.toUpperCase() : '';
    if (!['GET', 'POST', 'PUT', 'DELETE'].includes(method)) return reply({ status: 400, body: { message: "Unknown or missing 'method' property." } });
    const [path = '', rawQuery = ''] = uri.split('?', 2);
    // Asterisk's path walk stops at the first empty segment: a leading slash finds no resource.
    if (path.startsWith('/')) return reply({ status: 404, body: { message: 'Resource not found' } });
    const query: Record<string, string> = Object.fromEntries(new URLSearchParams(rawQuery));
    if (Array.isArray(msg.query_strings)) {
      for (const q of msg.query_strings as { name?: unknown; value?: unknown }[]) if (typeof q.name === 'string') query[q.name] = String(q.value ?? '');
    }
    let body: unknown;
    if (typeof msg.message_body === 'string' && msg.message_body) {
      if (msg.content_type !== 'application/json') return reply({ status: 400, body: { message: 'Unknown content type.' } });
      body = JSON.parse(msg.message_body);
    }
    host.rest({ method, path: `/${path}`, query, body }, reply);
  };

  open();
  return {
    refusals,
    connected() {
      if (ws?.readyState === WebSocket.OPEN) return Promise.resolve();
      return new Promise<void>((resolve) => waiters.push(resolve));
    },
    drop() {
      ws?.terminate();
    },
    close() {
      closed = true;
      ws?.terminate();
      waiters = [];
    },
  };
}
