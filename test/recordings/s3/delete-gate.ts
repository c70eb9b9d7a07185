import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * Where the gate stops the first DeleteObjects after the ones it lets through:
 * `request` never forwards it (the objects stay), `response` forwards it and swallows RGW's
 * answer (the objects are gone but the caller never hears so).
 */
export type GateStop = 'request' | 'response';

/**
 * An HTTP relay in front of RGW for crash tests: everything passes (the Host header, and so the
 * signature, untouched) except that after `pass` DeleteObjects requests the next one is stopped
 * and never answered. `stopped` resolves then, so a test can kill the client at a known point.
 */
export class DeleteGate {
  #server: http.Server | null = null;
  #sockets = new Set<Socket>();
  #upstream = new http.Agent({ keepAlive: true });
  #deletes = 0;
  #armed = true;
  #onStopped!: () => void;
  readonly stopped = new Promise<void>((resolve) => (this.#onStopped = resolve));

  constructor(
    private readonly targetPort: number,
    private readonly plan: { readonly pass: number; readonly stop: GateStop },
  ) {}

  get endpoint(): string {
    return `http://127.0.0.1:${(this.#server!.address() as AddressInfo).port}`;
  }

  /** DeleteObjects requests seen so far (stopped one included). */
  get deletes(): number {
    return this.#deletes;
  }

  /** From now on every request goes through. */
  disarm(): void {
    this.#armed = false;
  }

  async open(): Promise<void> {
    const server = http.createServer((req, res) => this.#relay(req, res));
    server.on('connection', (s) => {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    this.#server = server;
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    this.#upstream.destroy();
    const server = this.#server;
    this.#server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #relay(req: http.IncomingMessage, res: http.ServerResponse): void {
    const isDelete = req.method === 'POST' && /[?&]delete(=|&|$)/.test(req.url ?? '');
    const stop = isDelete && ++this.#deletes > this.plan.pass && this.#armed;
    if (stop && this.plan.stop === 'request') {
      req.resume();
      this.#onStopped();
      return;
    }
    const up = http.request(
      { host: '127.0.0.1', port: this.targetPort, method: req.method, path: req.url, headers: req.headers, agent: this.#upstream },
      (answer) => {
        if (stop) {
          answer.resume();
          answer.on('end', () => this.#onStopped());
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  }
}
