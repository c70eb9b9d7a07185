import net from 'node:net';
import { Transform } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A TCP relay in front of RGW that a test can close (the store is down: connection refused) and
 * open again on the same port, optionally throttling uploads so one stays in flight long enough.
 */
export class StoreRelay {
  #server: net.Server | null = null;
  #sockets = new Set<net.Socket>();
  #port = 0;
  constructor(
    private readonly targetPort: number,
    private readonly bytesPerSecond = 0,
  ) {}

  get port(): number {
    return this.#port;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  async open(): Promise<void> {
    if (this.#server) return;
    const server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      const up = this.bytesPerSecond ? client.pipe(throttle(this.bytesPerSecond)) : client;
      up.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => resolve());
    });
    this.#port = (server.address() as net.AddressInfo).port;
    this.#server = server;
  }

  /** Refuses new connections and cuts the open ones. */
  async close(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function throttle(bytesPerSecond: number): Transform {
  return new Transform({
    async transform(chunk: Buffer, _e, cb) {
      await sleep(Math.ceil((chunk.length / bytesPerSecond) * 1000));
      cb(null, chunk);
    },
  });
}

/** A closed recording as the dialplan names it, old enough for the scan to take at once. */
export function spoolFile(dir: string, callId: string, uniqueid: string, data: Buffer): { name: string; path: string } {
  const name = `consentline-${callId}-${uniqueid}.wav`;
  const path = join(dir, name);
  writeFileSync(path, data);
  const old = (Date.now() - 600_000) / 1000;
  utimesSync(path, old, old);
  return { name, path };
}
