/**
 * A pass-through between ConsentLine and Asterisk's HTTP server that keeps every event the
 * events WebSocket carries to ConsentLine: what the app itself receives (StasisStart and
 * StasisEnd go only to the app, so the subscribe-all observer never sees them).
 */
import { createServer, request, type Server } from 'node:http';
import WebSocket, { WebSocketServer } from 'ws';
import type { RawAriEvent } from '../../../src/telephony/ari/events.js';

export class AriTap {
  readonly events: RawAriEvent[] = [];
  readonly #server: Server;
  readonly #wss = new WebSocketServer({ noServer: true });

  private constructor(readonly upstreamPort: number) {
    this.#server = createServer((req, res) => {
      const up = request({ host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    });
    this.#server.on('upgrade', (req, socket, head) => {
      const upstream = new WebSocket(`ws://127.0.0.1:${upstreamPort}${req.url}`, { headers: { authorization: req.headers.authorization ?? '' } });
      upstream.once('error', () => socket.destroy());
      upstream.once('open', () => {
        this.#wss.handleUpgrade(req, socket, head, (client) => {
          upstream.on('message', (data) => {
            this.events.push(JSON.parse(data.toString()) as RawAriEvent);
            client.send(data.toString());
          });
          client.on('message', (data) => upstream.send(data.toString()));
          upstream.on('close', () => client.close());
          client.on('close', () => upstream.close());
        });
      });
    });
  }

  static async start(upstreamPort: number): Promise<AriTap> {
    const tap = new AriTap(upstreamPort);
    await new Promise<void>((resolve) => tap.#server.listen(0, '127.0.0.1', resolve));
    return tap;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as { port: number }).port}`;
  }

  async close(): Promise<void> {
    for (const c of this.#wss.clients) c.terminate();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
