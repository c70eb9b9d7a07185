/**
 * A small ARI client for the bench (node:http with a bounded keep-alive pool, and ws for events),
 * so neither the minimal app nor the driver pays for a general client, and the pool stays far below
 * Asterisk's http.conf sessionlimit (100) beside ConsentLine's own pool.
 */
import { Agent, request } from 'node:http';
import WebSocket from 'ws';

export interface AriTarget {
  readonly port: number;
  readonly user: string;
  readonly password: string;
}

export interface AriEventMessage {
  readonly type: string;
  readonly timestamp?: string;
  readonly application?: string;
  readonly channel?: { id: string; dialplan?: { context: string; exten: string; app_name?: string } };
  readonly playback?: { id: string; target_uri: string; media_uri: string };
}

export class AriHttp {
  readonly #agent: Agent;
  readonly #auth: string;
  constructor(readonly target: AriTarget, maxSockets: number) {
    this.#agent = new Agent({ keepAlive: true, maxSockets });
    this.#auth = `Basic ${Buffer.from(`${target.user}:${target.password}`).toString('base64')}`;
  }

  /** One ARI request; resolves with the status and the raw body. */
  send(method: string, path: string, query: Record<string, string> = {}): Promise<{ status: number; body: string }> {
    const qs = new URLSearchParams(query).toString();
    return new Promise((resolve, reject) => {
      const req = request(
        { agent: this.#agent, host: '127.0.0.1', port: this.target.port, method, path: `/ari${path}${qs ? `?${qs}` : ''}`, headers: { authorization: this.#auth } },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** Opens the ARI event socket for `app`; every message goes to `onEvent`. */
export async function ariEvents(t: AriTarget, app: string, subscribeAll: boolean, onEvent: (e: AriEventMessage) => void): Promise<WebSocket> {
  const key = encodeURIComponent(`${t.user}:${t.password}`);
  const ws = new WebSocket(`ws://127.0.0.1:${t.port}/ari/events?app=${app}&subscribeAll=${subscribeAll}&api_key=${key}`);
  ws.on('message', (data) => onEvent(JSON.parse(data.toString()) as AriEventMessage));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return ws;
}
